"""一般工业固体废物: its transfer records (一般工业固体废物转移记录) and its register (管理台账)."""
