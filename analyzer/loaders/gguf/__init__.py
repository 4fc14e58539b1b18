"""GGUF files (llama.cpp): the header, metadata and tensor infos, never the tensor data."""
