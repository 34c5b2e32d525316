"""Search over listings: a Meilisearch backend, an SQL backend over jieba-segmented text, and the
transactional outbox that keeps the Meilisearch index in step with the database."""
