"""Every codekg setting, in one typed place.

Precedence, highest first: CLI flags (passed as keyword overrides), ``CODEKG_*`` environment
variables, ``codekg.toml`` at the repository root, then the defaults written here.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_NAME = "codekg.toml"
DEFAULT_DB_DIR_NAME = ".codekg"

MIB = 1024 * 1024
GIB = 1024 * MIB

# Settings renamed since a release: old name -> (new name, an old value as a value of the new one). An
# old name in codekg.toml or as CODEKG_<OLD> still takes effect, with a warning naming the new one.
RENAMED_SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "load_strategy": ("bulk_copy", lambda value: {"copy": True, "merge": False}.get(str(value).lower(), value)),
}


class Settings(BaseSettings):
    """codekg's settings. Each field is ``CODEKG_<FIELD>`` in the environment or ``field`` in codekg.toml."""

    # an empty CODEKG_X (`CODEKG_VALUE_FLOW= codekg index`) is unset, as a shell user means it
    model_config = SettingsConfigDict(env_prefix="CODEKG_", extra="ignore", env_ignore_empty=True)

    max_file_size: int = Field(1_000_000, gt=0, description="Files larger than this many bytes are skipped.")
    max_db_size: int = Field(
        16 * GIB,
        ge=GIB, description="Upper bound of the embedded database's address space, in bytes."
    )
    buffer_pool_size: int = Field(
        256 * MIB,
        ge=64 * MIB, description="Memory the embedded database may use for its page cache, in bytes."
    )
    bulk_copy: bool = Field(
        True,
        description="Bulk-load each table with COPY from Arrow, writing a table through MERGE when its COPY fails "
        "(each failure is logged, classified and counted: docs/performance_tuning.md); false: always the "
        "UNWIND/MERGE path. Was `load_strategy` (`\"merge\"` is read as false, with a warning).",
    )
    copy_min_node_rows: int = Field(
        400,
        ge=0,
        description="Node tables with fewer rows are written with MERGE: a COPY reserves a whole node "
        "group (about 16 MB and 1 MB a column) per table, and below 400 rows a MERGE takes about as long "
        "and holds a quarter of that.",
    )
    python_source_roots: list[str] = Field(
        default_factory=lambda: ["src"],
        description="Folders whose contents are importable top-level Python packages (besides the repo root).",
    )
    extra_ignore: list[str] = Field(
        default_factory=list, description="Extra gitignore-style patterns to leave out of the scan."
    )
    use_git_ls_files: bool = Field(
        True, description="List files with `git ls-files` when the repository is a git work tree."
    )
    ambiguity_limit: int = Field(
        3,
        ge=0,
        description="A call name with more global candidates than this is left unresolved instead "
        "of being linked to every candidate.",
    )

    sql_dialect: str = Field(
        "ansi",
        description="The SQL dialect of `.sql` files and embedded SQL (docs/lineage.md): any dialect sqlglot "
        "knows (postgres, mysql, tsql, snowflake, bigquery, spark, redshift, ...) or an alias (sparksql, "
        "greenplum, mssql, ...). A file's own `-- dialect: x` comment comes first, then `sql_folder_dialects`.",
    )
    sql_folder_dialects: dict[str, str] = Field(
        default_factory=dict,
        description="Dialects by folder, for repositories that mix them: `{\"warehouse/legacy\" = \"tsql\"}` "
        "(repo-relative folders; the deepest one that holds a file wins).",
    )

    value_flow: bool | Literal["auto"] = Field(
        "auto",
        description="Resolve calls by value flow too (docs/value-flow.md): callbacks, returned functions, "
        "decorated names, containers, protocol methods. `auto` turns it on when the repository's Python, "
        "JavaScript and TypeScript files hold at most `value_flow_auto_bytes`: the solve is repeated whole "
        "on every edit, so a larger program would pay it on each one (docs/performance_tuning.md, Value flow). "
        "`true` or `false` decide it whatever the size (`codekg index --value-flow on|off|auto`).",
    )
    value_flow_auto_bytes: int = Field(
        1_500_000,
        ge=0,
        description="The most bytes of Python, JavaScript and TypeScript source for which `value_flow = "
        "\"auto\"` turns the value flow on (an edit then costs at most about 0.5 s more on a 2-core machine).",
    )

    @field_validator("value_flow", mode="before")
    @classmethod
    def _value_flow_word(cls, value: Any) -> Any:
        """`auto`, `true` or `false` in any case (`AUTO`, `True`); anything else says what is expected."""
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word == "auto":
            return "auto"
        if word in ("true", "1", "yes", "on"):
            return True
        if word in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"expected on, off or auto (or true, false), got {value!r}")

    def value_flow_for(self, flow_source_bytes: int) -> bool:
        """Whether a repository whose flow languages hold ``flow_source_bytes`` is solved by value flow."""
        if self.value_flow == "auto":
            return flow_source_bytes <= self.value_flow_auto_bytes
        return bool(self.value_flow)

    incremental_max_fraction: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Re-indexing applies a delta to the live index unless more than this fraction of the "
        "files (and more than 50 files) changed; then it rebuilds, which is faster for big changes.",
    )
    record_buffer_rows: int = Field(
        250_000,
        ge=1,
        description="A full build holds at most this many graph rows (nodes and edges) of its files until the "
        "load; past it, they are written ahead into the new build's state and turned into Arrow tables as the "
        "passes go. Lower: less memory on a large repository, and the state written before the load rather than "
        "beside it (docs/benchmarks.md §34).",
    )
    parse_cache: bool = Field(True, description="Reuse parse records of unchanged file contents across runs.")
    parse_cache_path: Path | None = Field(
        None, description="Where the parse cache lives (default: `<db>/parse_cache.sqlite`)."
    )
    parse_cache_max_entries: int = Field(10_000, ge=1, description="Least recently used entries beyond this are evicted.")
    parse_cache_max_bytes: int = Field(
        512 * MIB, ge=1, description="Least recently used entries are evicted while the cache holds more bytes than this."
    )
    parse_cache_ttl_days: float = Field(30.0, gt=0, description="Entries unused for longer than this are removed.")
    watch_debounce_ms: int = Field(
        1000,
        ge=0,
        description="`codekg watch` applies a batch once no file has changed for this many milliseconds (0: at once).",
    )
    watch_batch_size: int = Field(
        50, ge=1, description="`codekg watch` applies a batch as soon as it holds this many files, without waiting."
    )
    workers: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 8),
        ge=1,
        description="Worker processes that parse files (default: the number of cores, at most 8). A full build "
        "without the value flow also resolves its files in up to this many processes, forking helpers only while "
        "the machine (or its container) has four times this process's memory free for each (docs/performance_tuning.md).",
        json_schema_extra={"default_shown": "the number of cores, at most 8"},  # the machine's, not one value
    )
    parse_timeout_seconds: float = Field(
        60.0, gt=0, description="A file whose parse runs longer than this is retried once, then skipped as quarantined."
    )
    parse_memory_ceiling: int = Field(
        2 * GIB,
        gt=0,
        description="While codekg and its parse workers together hold more resident memory than this "
        "many bytes, files are handed to the workers one at a time; the resolve pass forks no helper "
        "that would take codekg's processes past it.",
    )
    serve_host: str = Field("127.0.0.1", description="Address `codekg serve` and `codekg mcp --http` listen on.")
    serve_port: int = Field(8765, ge=0, le=65535, description="Port of `codekg serve` (0: any free port).")
    mcp_port: int = Field(8766, ge=0, le=65535, description="Port of `codekg mcp --http` (0: any free port).")
    api_token: SecretStr | None = Field(
        None,
        description="Bearer token that `codekg serve` and `codekg mcp --http` require on every request "
        "but /healthz (`--token`); unset: no authentication.",
    )
    # The ingestion design names them STATSD_HOST / STATSD_PORT: both those and CODEKG_STATSD_* are read.
    statsd_host: str | None = Field(
        None, validation_alias=AliasChoices("statsd_host", "CODEKG_STATSD_HOST", "STATSD_HOST"),
        description="Send every metric of /metrics to this StatsD server (UDP) as it is recorded; unset: no StatsD.",
    )
    statsd_port: int = Field(
        8125, ge=1, le=65535, validation_alias=AliasChoices("statsd_port", "CODEKG_STATSD_PORT", "STATSD_PORT"),
        description="Port of the StatsD server.",
    )
    statsd_prefix: str = Field("codekg", description="Prefix of every StatsD metric name.")
    progress_line_seconds: float = Field(
        5.0, ge=0, description="`codekg index` with stderr not a terminal prints a progress line at most this often "
        "(0: at every step).",
    )
    query_timeout_seconds: float = Field(
        30.0, gt=0, description="A Cypher query (`codekg query`, the HTTP API, the MCP server) is stopped after this long."
    )
    # Query limits (query_guard.py): checked before the database sees a query, on every entry point.
    # The upper bounds keep a query inside what the embedded database parses without crashing or
    # stalling (measured in docs/security.md): nesting is exponential in its parser.
    query_max_chars: int = Field(20_000, ge=100, le=1_000_000, description="Longest Cypher query accepted, in characters.")
    query_max_tokens: int = Field(
        2_000, ge=10, le=5_000, description="Most tokens (words, literals, symbols) a Cypher query may have."
    )
    query_max_depth: int = Field(
        16, ge=2, le=20, description="Deepest nesting of brackets and CASE in a Cypher query."
    )
    query_max_parameters: int = Field(1_000, ge=0, description="Most `$name` parameters a query may come with.")
    query_max_parameter_bytes: int = Field(
        1 * MIB, ge=0, description="Largest total size of a query's parameters, as JSON, in bytes."
    )
    query_max_rows: int = Field(10_000, ge=1, description="Rows a query returns at most; the rest is cut and flagged.")
    query_memory_limit: int = Field(
        2 * GIB, ge=256 * MIB,
        description="Memory a Cypher query may allocate, in bytes: the process running it (a worker of the "
        "HTTP API or MCP server, or `codekg query` itself) is capped at it plus the database's reserved space.",
    )
    query_workers: int = Field(
        2, ge=1, le=32, description="Processes that run Cypher queries for `codekg serve` and `codekg mcp`."
    )
    # Request limits of `codekg serve` and `codekg mcp --http` (api/request_limits.py).
    api_max_body_bytes: int = Field(1 * MIB, ge=1024, description="Largest request body accepted, in bytes (413 beyond).")
    api_max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Largest request line and headers accepted, in bytes."
    )
    api_max_concurrency: int = Field(
        64, ge=1, description="Connections served at once; more are answered 503 at once."
    )
    api_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names a request's Host header may carry besides loopback names and the address "
        "served on (a DNS-rebinding defence); `*` allows any.",
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins (`https://app.example.com`) allowed to call the API; unset: CORS off, "
        "and a browser request from a foreign origin is refused.",
    )
    embeddings: bool | None = Field(
        None,
        description="Embed symbols for semantic and hybrid search (`--embeddings`/`--no-embeddings`); unset: "
        "keep what the index has. Needs the `codekg[embeddings]` extra.",
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="The embedding model: `all-MiniLM-L6-v2` (packaged, ONNX), `all-MiniLM-L6-v2:torch`, a "
        "sentence-transformers name or path (offline), or an OpenAI-compatible `http(s)://…/v1#model` URL.",
    )
    embedding_api_key: SecretStr | None = Field(
        None, description="Bearer token for an OpenAI-compatible embedding endpoint (never logged)."
    )
    embedding_batch_size: int = Field(8, ge=1, description="Texts per embedding call (8: the fastest and smallest of 8, 16 and 32 here, docs/benchmarks.md §29).")
    store: str = Field(
        "",
        description="The graph store (`--store`): `ladybug:PATH`, `falkordb://host:port/graph`, "
        "`bolt://` / `neo4j://host:port[/database]` (Neo4j, Memgraph) or `cozo://PATH` / `cozo://mem` (CozoDB); "
        "empty: the embedded store in `<db>`.",
    )
    cozo_integration: bool = Field(
        True, description="Whether a `cozo://` store is used; off, or when the CozoDB engine does not open, "
        "codekg says so in one line and uses the embedded store in `<db>` instead.",
    )
    also_write: list[str] = Field(
        default_factory=list,
        description="Secondary stores every index run also writes (`--also-write URI`, repeatable); their "
        "failures are reported and recorded for `codekg store replay-failed`, never fatal.",
    )
    store_user: str | None = Field(None, description="User name for a server store (Neo4j/Memgraph, FalkorDB ACL).")
    store_password: SecretStr | None = Field(None, description="Password for a server store (never logged).")
    store_batch_size: int = Field(
        2000, ge=1, description="Rows per UNWIND write to a server store (chosen from `bench/store_bench.py`)."
    )
    store_retry_delays: list[float] = Field(
        default_factory=lambda: [1.0, 2.0, 4.0, 8.0, 16.0],
        description="Seconds to wait before each retry of a transiently failed server write (jittered ±50%); "
        "their number is the number of retries.",
    )
    store_timeout_seconds: float = Field(
        60.0, gt=0, description="A server store operation (connect, one batch) that takes longer fails as transient."
    )
    github_api_url: str = Field(
        "https://api.github.com", description="Base URL of the GitHub REST API for `codekg sync --api github` "
        "(a GitHub Enterprise host: https://HOST/api/v3)."
    )
    github_token: SecretStr | None = Field(
        None, description="Token for `codekg sync --api github` (private repositories, a higher rate limit); never printed."
    )
    debug: bool = Field(False, description="Show a traceback when codekg fails unexpectedly.")
    strict: bool = Field(
        False, description="Stop the run (exit 1, nothing published) at the first file a pass fails on, instead "
        "of leaving out that file's share, listing it in `warnings` and going on (for tests).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _TOML_FILE_FOR_LOAD.get("path")
        sources: list[PydanticBaseSettingsSource] = [
            init_settings, _RenamedSettingsSource(env_settings, "the environment", _old_names_in_environment)]
        if toml_file is not None:
            sources.append(_RenamedSettingsSource(TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
                                                  str(toml_file), _old_names_in_file))
        return tuple(sources)


class _RenamedSettingsSource(PydanticBaseSettingsSource):
    """``source`` with the old names of renamed settings read as their new ones, each with a warning
    (once per process); the new name set in the same place wins."""

    def __init__(self, source: PydanticBaseSettingsSource, where: str,
                 old_values: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        super().__init__(source.settings_cls)
        self._source, self._where, self._old_values = source, where, old_values

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, "", False  # abstract in the base class; __call__ reads the whole source

    def __call__(self) -> dict[str, Any]:
        values = dict(self._source())
        for old, value in self._old_values(values).items():
            new, convert = RENAMED_SETTINGS[old]
            if (self._where, old) not in _warned:
                _warned.add((self._where, old))
                logging.getLogger(__name__).warning("setting `%s` in %s is renamed `%s`: read as `%s = %s`", old,
                                                    self._where, new, new, _toml_value(convert(value)))
            values.setdefault(new, convert(value))
        return values


def _old_names_in_file(values: dict[str, Any]) -> dict[str, Any]:
    return {old: values.pop(old) for old in RENAMED_SETTINGS if old in values}


def _old_names_in_environment(values: dict[str, Any]) -> dict[str, Any]:
    return {old: value for variable, value in os.environ.items() for old in RENAMED_SETTINGS
            if variable.upper() == f"CODEKG_{old}".upper()}


# pydantic-settings fixes the TOML path per class; the repository decides it at run time.
_TOML_FILE_FOR_LOAD: dict[str, Path | None] = {"path": None}


def config_file_of(repo: Path | None, config_file: Path | None = None) -> Path | None:
    """The TOML file settings are read from: ``config_file`` (`--config-file`), else ``repo``'s codekg.toml."""
    if config_file is not None:
        return config_file
    return (repo / CONFIG_FILE_NAME) if repo is not None else None


def load_settings(repo: Path | None = None, config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings for ``repo``: the environment, then ``config_file`` or else the repository's
    codekg.toml (if any), under non-None ``overrides``."""
    from pydantic_settings import SettingsError

    from codekg.errors import InputError

    toml_path = config_file_of(repo, config_file)
    _TOML_FILE_FOR_LOAD["path"] = toml_path if toml_path is not None and toml_path.is_file() else None
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as error:  # a CODEKG_* value that is no JSON where a list or a table is asked
        raise InputError(_unparsable_setting(str(error))) from None
    except (UnicodeDecodeError, OSError) as error:
        reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror or str(error)
        raise InputError(f"cannot read {toml_path}: {reason}") from None
    finally:
        _TOML_FILE_FOR_LOAD["path"] = None
    if toml_path is not None and toml_path.is_file():
        _warn_unknown_keys(toml_path)
    return _without_unusable_cozo(settings)


def _unparsable_setting(message: str) -> str:
    """pydantic-settings' `error parsing value for field "extra_ignore" from source "EnvSettingsSource"`
    as what to do."""
    match = re.search(r'field "(\w+)" from source "(\w+)"', message)
    if match is None:
        return f"invalid setting: {message}"
    name, source = match.groups()
    where = f"CODEKG_{name.upper()}" if source.startswith("Env") else f"`{name}` ({source})"
    return (f"invalid setting: {where} is not valid JSON; a list or a table is written as JSON in the environment, "
            f"e.g. CODEKG_EXTRA_IGNORE='[\"*.min.css\"]' (docs/configuration.md)")


def _without_unusable_cozo(settings: Settings) -> Settings:
    """A `cozo://` store with `cozo_integration` off, or an engine that does not open, gives way to
    the embedded store in `<db>`, with a one-line notice (once per process and reason)."""
    if not settings.store.startswith("cozo://"):
        return settings
    if settings.cozo_integration:
        from codekg.stores.cozo import cozo_unavailable

        reason = cozo_unavailable()
    else:
        reason = "cozo_integration is off"
    if reason is None:
        return settings
    if ("cozo", reason) not in _warned:
        _warned.add(("cozo", reason))
        logging.getLogger(__name__).warning("%s: using the embedded store instead of %s", reason, settings.store)
    return settings.model_copy(update={"store": ""})


_warned: set[tuple[Path | str, str]] = set()  # once per process, however often a command loads the settings


def _warn_unknown_keys(toml_path: Path) -> None:
    """A key of codekg.toml that is no setting is a warning naming the closest one: pydantic-settings
    ignores it, so `max_fil_size = 10` would silently leave the default in force."""
    try:
        keys = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return  # the load above reported it already, or will when the file is read for real
    for key in keys:
        if key in Settings.model_fields or key in RENAMED_SETTINGS or (toml_path, key) in _warned:
            continue
        _warned.add((toml_path, key))
        closest = difflib.get_close_matches(key, Settings.model_fields, n=1)
        hint = f" (did you mean `{closest[0]}`?)" if closest else ""
        logging.getLogger(__name__).warning("unknown setting `%s` in %s is ignored%s", key, toml_path, hint)


MASK = "********"


def describe_settings(repo: Path | None = None, config_file: Path | None = None, **overrides: Any) -> list[dict[str, Any]]:
    """Every setting with its effective value and where it came from, "flag" (``overrides``),
    "environment" (``CODEKG_*``), "file" (codekg.toml) or "default", in that precedence; secrets set
    anywhere are shown as MASK. For `codekg config show`."""
    settings = load_settings(repo, config_file, **overrides)
    toml_path = config_file_of(repo, config_file)
    try:
        in_file = set(tomllib.loads(toml_path.read_text(encoding="utf-8"))) if toml_path and toml_path.is_file() else set()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        in_file = set()
    in_file |= {RENAMED_SETTINGS[key][0] for key in in_file if key in RENAMED_SETTINGS}
    in_environment = {name.upper() for name, value in os.environ.items() if value}
    in_environment |= {f"CODEKG_{new}".upper() for old, (new, _) in RENAMED_SETTINGS.items()
                       if f"CODEKG_{old}".upper() in in_environment}
    described = []
    for name, field in Settings.model_fields.items():
        if overrides.get(name) is not None:
            source = "flag"
        elif any(variable.upper() in in_environment for variable in _environment_names(name, field)):
            source = "environment"
        elif name in in_file:
            source = "file"
        else:
            source = "default"
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = MASK
        elif isinstance(value, Path):
            value = str(value)
        described.append({"name": name, "value": value, "source": source, "description": field.description or ""})
    return described


def _environment_names(name: str, field: Any) -> list[str]:
    """The variables a setting is read from: CODEKG_<NAME>, or its aliases when it has some."""
    aliases = getattr(field.validation_alias, "choices", None)
    return [choice for choice in aliases if isinstance(choice, str)] if aliases else [f"CODEKG_{name}"]


def configuration_markdown() -> str:
    """docs/configuration.md: every setting, where it is read from and its default, from the fields
    above (`python -m codekg.settings > docs/configuration.md`; a test fails when the file is stale)."""
    lines = [
        "# Configuration",
        "",
        "Generated from `src/codekg/settings.py` by `python -m codekg.settings > docs/configuration.md`",
        "(`make config-doc`); a test fails when this file is stale.",
        "",
        "Each setting is read, highest precedence first, from a command-line flag where the command has",
        "one, the environment, then `codekg.toml` at the repository root (or the file given with",
        "`codekg --config-file PATH`), then the default below. `codekg config show [--json]` prints the",
        "effective values and where each came from; secrets are masked there and never logged. A key of",
        "the TOML file that is no setting is ignored with a warning naming the closest one; the old name of",
        "a renamed setting (`load_strategy`) still takes effect, with a warning naming the new one.",
        "In the environment, a list or a table is written as JSON: `CODEKG_EXTRA_IGNORE='[\"*.min.css\"]'`,",
        "`CODEKG_SQL_FOLDER_DIALECTS='{\"legacy\": \"tsql\"}'`; a value that is not says so and the command stops.",
        "An empty variable (`CODEKG_VALUE_FLOW=`) is unset: the file's value or the default holds.",
        "",
        "| setting (`codekg.toml` key) | environment | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        machine = (field.json_schema_extra or {}).get("default_shown") if isinstance(field.json_schema_extra, dict) else None
        shown = (str(machine) if machine else "unset" if default is None
                 else f"`{default if isinstance(default, str) else _toml_value(default)}`")
        environment = " or ".join(f"`{variable}`" for variable in dict.fromkeys(v.upper() for v in _environment_names(name, field)))
        meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{name}` | {environment} | {shown} | {meaning} |")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return str(value)
    return json.dumps(value, default=str)


if __name__ == "__main__":
    print(configuration_markdown(), end="")
