"""safetensors checkpoints: a file's JSON header, or an index and its shards; never the data."""
