"""mnist-sgd-report: hand-coded minibatch SGD on MNIST, checked against frameworks.

Modules (one job each):

- ``idx``            parse and validate MNIST IDX files
- ``atomic``         write outputs atomically (temporary file, then rename)
- ``download``       fetch files from an ordered list of mirrors, checksum-verified
- ``dataset``        build and load the cached train/val/test arrays
- ``grid``           the experiment grid derived from the config
- ``minibatches``    the seeded per-epoch permutations every backend shares
- ``sgd``            the linear model, its squared loss, gradient and the SGD epoch
- ``training``       the epoch loop: metrics, timing, divergence
- ``backends``       NumPy / TensorFlow / PyTorch implementations of one epoch
- ``floor``          the closed-form least-squares optimum
- ``lr_choice``      picking a learning rate on validation data
- ``consistency``    comparing backends run on the same minibatches
"""
