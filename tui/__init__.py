"""gradstep's terminal dashboard (Textual). The engine never imports this package."""
