"""The language server: thin pygls handlers over the engine's facts and issues.

``server.py`` registers the handlers, ``documents.py`` keeps one analysis per document version,
``convert.py`` turns facts and issues into LSP objects, ``settings.py`` reads ``shapelens.*``
settings and ``notebooks.py`` turns a notebook's code cells into one program.
"""
