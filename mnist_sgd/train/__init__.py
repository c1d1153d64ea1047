"""Stage 2 (``workflow/rules/train.smk``): training runs and what is computed from them.

- ``textbook``      the textbook reference: the linear model, its squared loss, gradient and
                    the SGD epoch in NumPy (printed in the report; the tests hold the kernel to it)
- ``textbook_blas`` the textbook epoch as question 3's timing runs it (two BLAS calls per update at B = 1)
- ``compiled_kernel`` the compiled (Numba) per-example SGD epoch and evaluation the runs execute,
                    one model or a grid job's K models side by side
- ``minibatches``   the seeded subsets and per-epoch permutations every backend shares
- ``loop``          the epoch loop (``fit``): metrics, timing, divergence
- ``lockstep``      the lockstep driver: the lrs of a grid job trained together by the compiled
                    kernel, each as its solo run (``fit_lockstep``)
- ``backends/``     one epoch with the compiled kernel (backend ``numpy``), TensorFlow and PyTorch
                    (shared minibatches), and Keras
                    ``model.fit`` / a PyTorch ``DataLoader`` loop (their own shuffling)
- ``run``           training runs end to end (rules ``train`` and ``train_grid``)
- ``run_files``     a run's history.csv, summary.json and weights.npz
- ``floor``         the closed-form least-squares optimum (rule ``least_squares_floor``)
- ``lr_choice``     the lr search and choice on validation data (``lr_search_round``, ``choose_lr``)
- ``consistency``   comparing backends run on the same minibatches (rule ``compare_backends``)
"""
