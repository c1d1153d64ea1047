"""Stage 2 (``workflow/rules/train.smk``): training runs and what is computed from them.

- ``sgd``           the linear model, its squared loss, gradient and the SGD epoch
- ``minibatches``   the seeded subsets and per-epoch permutations every backend shares
- ``loop``          the epoch loop (``fit``): metrics, timing, divergence
- ``lockstep``      the lrs of a grid job trained together, each as its solo run (``fit_lockstep``)
- ``backends/``     one epoch in NumPy, TensorFlow and PyTorch (shared minibatches), and Keras
                    ``model.fit`` / a PyTorch ``DataLoader`` loop (their own shuffling)
- ``run``           training runs end to end (rules ``train`` and ``train_grid``)
- ``run_files``     a run's history.csv, summary.json and weights.npz
- ``floor``         the closed-form least-squares optimum (rule ``least_squares_floor``)
- ``lr_choice``     the lr search and choice on validation data (``lr_search_round``, ``choose_lr``)
- ``consistency``   comparing backends run on the same minibatches (rule ``compare_backends``)
"""
