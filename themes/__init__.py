"""Built-in themes, one TOML file each; read through importlib.resources so an installed wheel finds them."""
