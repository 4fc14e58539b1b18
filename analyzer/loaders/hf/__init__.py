"""Hugging Face ``config.json`` files: the architecture a checkpoint's folder states, as format 2 layers."""
