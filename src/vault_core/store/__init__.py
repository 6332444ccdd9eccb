"""Disk only: the one owner of the LanceDB tables and every query on them, plus integrity,
repair, memory, and who may write (writer lock, lease)."""
