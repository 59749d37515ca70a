"""sviml_cli."""
