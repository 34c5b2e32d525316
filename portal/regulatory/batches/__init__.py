"""Sites, storage facilities, batches (产生批次) and their HJ 1276-2022 containers; storage moves and stock."""
