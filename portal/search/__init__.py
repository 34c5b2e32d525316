"""Text search shared by the areas: the vocabulary (jieba, synonyms) and the keys of the SQL inverted index."""
