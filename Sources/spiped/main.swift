print("spiped: not yet implemented")
