def load_reference_data() -> dict:
    return {}
