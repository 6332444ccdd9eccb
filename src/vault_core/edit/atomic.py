"""Whole-file replacement that a kill -9 cannot tear: temp file in the same folder, fsync,
rename, fsync the folder. The temp name ends in `.nvault-tmp`, which no indexer wants."""

from __future__ import annotations

import contextlib
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TMP_SUFFIX = ".nvault-tmp"
FSYNC_THREADS = 8


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform can open a folder (Windows); rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """`path` holds `data` afterwards, or (killed midway) its old bytes; never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def _write_temp(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def write_many(items: list[tuple[Path, bytes]]) -> None:
    """`write_atomic` for many files at once: every temp file written and fsynced (in a few
    threads: fsync waits on the disk, not the CPU), then every rename, then each folder fsynced
    once. Each file still holds its old bytes or its new bytes at any moment."""
    if len(items) == 1:
        write_atomic(*items[0])
        return
    temps: list[Path] = []
    try:
        with ThreadPoolExecutor(max_workers=FSYNC_THREADS) as pool:
            futures = [pool.submit(_write_temp, path, data) for path, data in items]
            for future in futures:
                with contextlib.suppress(Exception):
                    temps.append(future.result())
            for future in futures:
                future.result()  # the first failure, after every temp is known (to clean up)
        for tmp, (path, _) in zip(temps, items, strict=True):
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    for folder in {path.parent for path, _ in items}:
        fsync_dir(folder)


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fsync_dir(path.parent)


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def sweep_temps(folder: Path, names: list[str]) -> None:
    """Temp files a killed write left next to the files it was writing."""
    for rel in names:
        parent = (folder / rel).parent
        try:
            for entry in parent.iterdir():
                if entry.name.endswith(TMP_SUFFIX):
                    with contextlib.suppress(OSError):
                        entry.unlink()
        except OSError:
            continue
