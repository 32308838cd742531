"""MovieConnect recommender: pure-PyTorch training, evaluation and serving (no Django)."""
