"""Reading and checking the service configuration (an INI file, see docs/OPERATIONS.md)."""

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
KNOWN_OPTIONS = {
    "server": {"host", "port", "banner"},
    "storage": {"data_dir", "catalog_file", "cache_seconds"},
    "http": {"page_size", "cors_origin"},
    "logging": {"level", "file"},
}


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    banner: str
    data_dir: Path
    catalog_file: str
    cache_seconds: int
    page_size: int
    cors_origin: str
    log_level: str
    log_file: Path
    warnings: tuple

    @property
    def catalog_path(self):
        return self.data_dir / self.catalog_file


def _int(path, section, key, text, low, high):
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{path}: {section}.{key}: {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{path}: {section}.{key}: {value} is outside {low}..{high}")
    return value


def load(path):
    parser = configparser.ConfigParser()
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    except configparser.Error as e:
        raise ConfigError(f"{path}: {' '.join(str(e).split())}") from None

    warnings = []
    for section in parser.sections():
        if section not in KNOWN_OPTIONS:
            warnings.append(f"unknown section [{section}] ignored")
            continue
        for key in parser[section]:
            if key not in KNOWN_OPTIONS[section]:
                warnings.append(f"unknown option {section}.{key} ignored")

    def get(section, key, fallback):
        try:
            return parser.get(section, key, fallback=fallback)
        except configparser.Error as e:
            raise ConfigError(f"{path}: {section}.{key}: {' '.join(str(e).split())}") from None

    host = get("server", "host", "127.0.0.1")
    port_text = get("server", "port", None)
    if port_text is None:
        raise ConfigError(f"{path}: server.port is missing")
    port = _int(path, "server", "port", port_text, 1024, 65535)
    banner = get("server", "banner", "Catalog service")

    data_dir = Path(get("storage", "data_dir", "data"))
    if not data_dir.is_dir():
        raise ConfigError(f"{path}: storage.data_dir: {data_dir} is not a directory")
    catalog_file = get("storage", "catalog_file", "catalog.json")
    if not (data_dir / catalog_file).is_file():
        raise ConfigError(f"{path}: storage.catalog_file: {data_dir / catalog_file} does not exist")
    cache_seconds = _int(path, "storage", "cache_seconds", get("storage", "cache_seconds", "0"), 0, 3600)

    page_size = _int(path, "http", "page_size", get("http", "page_size", "50"), 1, 500)
    cors_origin = get("http", "cors_origin", "")

    level = get("logging", "level", "WARNING").upper()
    if level not in LEVELS:
        raise ConfigError(f"{path}: logging.level: {level!r} is not one of {', '.join(LEVELS)}")
    log_file = Path(get("logging", "file", "catalog.log"))
    if not log_file.parent.is_dir() or not os.access(log_file.parent, os.W_OK):
        raise ConfigError(f"{path}: logging.file: cannot write to folder {log_file.parent}")

    return Settings(
        host, port, banner, data_dir, catalog_file, cache_seconds, page_size, cors_origin,
        level, log_file, tuple(warnings),
    )
