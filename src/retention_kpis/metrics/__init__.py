"""Pure metric functions, one module per metric, and their result models."""
