"""What the two stdio servers share before their protocol SDK has loaded."""
