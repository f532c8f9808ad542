#!/usr/bin/env python
# coding: utf-8

# # Introduction to CNN Keras - Digit Recognizer
# * 1. Introduction
# * 2. Data preparation
# * 3. CNN

# In[1]:


import numpy as np # linear algebra
import random

np.random.seed(2)

from keras.utils import to_categorical # convert to one-hot-encoding
from keras.models import Sequential
from keras.layers import Dense, Dropout, Flatten, Conv2D, MaxPool2D
from keras.optimizers import RMSprop
from keras.callbacks import ReduceLROnPlateau


# In[2]:


# Load the data (random stand-in for pd.read_csv("../input/train.csv"))
train = np.random.randint(0, 255, size=(60, 785))
Y_train = train[:, 0] % 10
X_train = train[:, 1:]


# In[3]:


# Normalize the data
X_train = X_train / 255.0


# In[4]:


# Reshape image in 3 dimensions (height = 28px, width = 28px , canal = 1)
X_train = X_train.reshape(-1,28,28,1)


# In[5]:


# Encode labels to one hot vectors (ex : 2 -> [0,0,1,0,0,0,0,0,0,0])
Y_train = to_categorical(Y_train, num_classes = 10)


# In[6]:


# Split the train and the validation set for the fitting
random_seed = 2
idx = np.random.permutation(len(X_train))
split = int(0.9 * len(X_train))
X_val, Y_val = X_train[idx[split:]], Y_train[idx[split:]]
X_train, Y_train = X_train[idx[:split]], Y_train[idx[:split]]


# In[7]:


# Set the CNN model
# my CNN architechture is In -> [[Conv2D->relu]*2 -> MaxPool2D -> Dropout]*2 -> Flatten -> Dense -> Dropout -> Out

model = Sequential()

model.add(Conv2D(filters = 32, kernel_size = (5,5),padding = 'Same',
                 activation ='relu', input_shape = (28,28,1)))
model.add(Conv2D(filters = 32, kernel_size = (5,5),padding = 'Same',
                 activation ='relu'))
model.add(MaxPool2D(pool_size=(2,2)))
model.add(Dropout(0.25))


model.add(Conv2D(filters = 64, kernel_size = (3,3),padding = 'Same',
                 activation ='relu'))
model.add(Conv2D(filters = 64, kernel_size = (3,3),padding = 'Same',
                 activation ='relu'))
model.add(MaxPool2D(pool_size=(2,2), strides=(2,2)))
model.add(Dropout(0.25))


model.add(Flatten())
model.add(Dense(256, activation = "relu"))
model.add(Dropout(0.5))
model.add(Dense(10, activation = "softmax"))


# In[8]:


# Define the optimizer
optimizer = RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-08)


# In[9]:


# Compile the model
model.compile(optimizer = optimizer , loss = "categorical_crossentropy", metrics=["accuracy"])


# In[10]:


# Set a learning rate annealer
learning_rate_reduction = ReduceLROnPlateau(monitor='val_accuracy',
                                            patience=3,
                                            verbose=1,
                                            factor=0.5,
                                            min_lr=0.00001)
epochs = 1 # Turn epochs to 30 to get 0.9967 accuracy
batch_size = 27


# In[11]:


history = model.fit(X_train, Y_train, batch_size = batch_size, epochs = epochs,
          validation_data = (X_val, Y_val), verbose = 0, callbacks=[learning_rate_reduction])


# In[12]:


# predict results
results = model.predict(X_val, verbose=0)

# select the indix with the maximum probability
results = np.argmax(results,axis = 1)
