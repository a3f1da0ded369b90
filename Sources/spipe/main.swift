print("spipe: not yet implemented")
