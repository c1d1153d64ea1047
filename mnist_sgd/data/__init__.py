"""Stage 1 (``workflow/rules/data.smk``): MNIST from the mirrors to cached arrays.

- ``download``   fetch files from an ordered list of mirrors, checksum-verified
- ``idx``        parse and validate MNIST IDX files
- ``dataset``    build and load the cached train/val/test arrays
"""
