"""The parts `VaultIndex` holds as objects: what is open, the roles, the healer, phase 2."""
