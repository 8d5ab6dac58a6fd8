"""What a data set is: the files a scenario's ``[data]`` table (or a data folder's ``data.toml``) names, and the
survey's codebook (its relationship levels, lowest first; its trust items; their scale).

The defaults are the PARTNER tool's: relationships ``none``, ``cooperative``, ``coordinated``, ``integrated``
(in increasing order) and trust items ``reliability``, ``mission`` and ``openness`` rated 1 to 4. Levels are
mapped onto the model's continuum **by rank**: the first (lowest) level listed is networking, the second
coordinating, and so on, whatever the labels say (docs/DATA.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.inputdata.table import column_name
from sim.errors import ScenarioError
from sim.params import LEVELS

PARTNER_LEVELS = ("none", "cooperative", "coordinated", "integrated")
PARTNER_RATINGS = ("reliability", "mission", "openness")
PARTNER_SCALE = (1.0, 4.0)
DEFAULT_SEED = 1
# A data folder's own description, and the files a folder without one is read from.
FOLDER_FILE = "data.toml"
DEFAULT_FILES = {"organizations": "organizations.csv", "relationships": "relationships.csv",
                 "factors": "factors.csv", "sectors": "sectors.csv", "state": "state.json"}
FILE_KEYS = tuple(DEFAULT_FILES)
KEYS = (*FILE_KEYS, "levels", "ratings", "rating_scale", "seed")
RESERVED_COLUMNS = ("respondent", "partner", "level", "purpose", "trust")
SEED_MAX = 2**63 - 1


@dataclass(frozen=True)
class DataSpec:
    """The files of one data set (absolute paths; ``None`` where not given) and how its survey is coded."""

    source: str                          # where it was declared: a scenario file, a data.toml, or a folder
    organizations: Path
    relationships: Path | None = None
    factors: Path | None = None
    sectors: Path | None = None
    state: Path | None = None
    levels: tuple = PARTNER_LEVELS       # the survey's relationship levels, lowest first
    ratings: tuple = PARTNER_RATINGS     # the survey's trust items (columns of the relationships table)
    rating_scale: tuple = PARTNER_SCALE  # lowest and highest answer on the trust items
    seed: int = DEFAULT_SEED             # seed of the generator that fills the gaps (the same start for every run)

    def level_rank(self) -> dict:
        """Each level label (lower case) -> its rank, the model level it maps to."""
        return {label.lower(): rank for rank, label in enumerate(self.levels)}

    def files(self) -> dict:
        return {key: getattr(self, key) for key in FILE_KEYS if getattr(self, key) is not None}


def parse(table: object, base: Path, source: str, prefix: str) -> DataSpec:
    """The data set a ``[data]`` table describes; file names are relative to ``base``. ``prefix`` ("data." in a
    scenario, "" in a data.toml) names its keys in errors."""
    def fail(key: str, problem: str, allowed: str):
        raise ScenarioError(source, f"{prefix}{key}", problem, allowed)

    if not isinstance(table, dict):
        raise ScenarioError(source, prefix.rstrip("."), f"expected a table, got {table!r}",
                            'a table naming the files, e.g. organizations = "roster.csv"')
    for key in table:
        if key not in KEYS:
            fail(key, "unknown key", ", ".join(KEYS))
    if "organizations" not in table:
        fail("organizations", "missing", "the organizations roster, a CSV file (docs/DATA.md)")
    files = {}
    for key in FILE_KEYS:
        if key in table:
            files[key] = _file(table[key], base, lambda problem, allowed, key=key: fail(key, problem, allowed))
    levels = table.get("levels", PARTNER_LEVELS)
    if (not isinstance(levels, (list, tuple)) or not 2 <= len(levels) <= len(LEVELS)
            or not all(isinstance(v, str) and v.strip() for v in levels)):
        fail("levels", f"expected a list of 2 to {len(LEVELS)} labels, got {levels!r}",
             f"the survey's relationship levels, lowest first, e.g. {list(PARTNER_LEVELS)}")
    if len({v.strip().lower() for v in levels}) != len(levels):
        fail("levels", f"repeated labels in {list(levels)!r}", "distinct labels (compared without case)")
    ratings = table.get("ratings", PARTNER_RATINGS)
    if not isinstance(ratings, (list, tuple)) or not ratings or not all(isinstance(v, str) and v.strip() for v in ratings):
        fail("ratings", f"expected a list of column names, got {ratings!r}",
             f"the relationships table's trust items, e.g. {list(PARTNER_RATINGS)}")
    names = [column_name(v) for v in ratings]
    if len(set(names)) != len(names) or set(names) & set(RESERVED_COLUMNS):
        fail("ratings", f"{list(ratings)!r} repeats a name or uses one of {', '.join(RESERVED_COLUMNS)}",
             "distinct column names other than respondent, partner, level, purpose and trust")
    scale = table.get("rating_scale", PARTNER_SCALE)
    if (not isinstance(scale, (list, tuple)) or len(scale) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scale) or not scale[0] < scale[1]):
        fail("rating_scale", f"expected [lowest, highest], got {scale!r}", "two numbers, the lowest first, e.g. [1, 4]")
    seed = table.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        fail("seed", f"{seed!r} is out of range", f"an integer from 0 to {SEED_MAX}")
    return DataSpec(source=source, levels=tuple(v.strip() for v in levels), ratings=tuple(names),
                    rating_scale=(float(scale[0]), float(scale[1])), seed=seed, **files)


def _file(value: object, base: Path, fail) -> Path:
    if not isinstance(value, str) or not value.strip():
        fail(f"expected a file name, got {value!r}", "a path to a file, relative to where it is named")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        fail(f"no such file: {path}", "an existing file (paths are relative to the file that names them)")
    return path.resolve()


def folder(directory: str | Path, table: dict | None, source: str) -> DataSpec:
    """The data set of a folder (``--data DIR``): its ``data.toml`` (``table``, read by the caller) or, without
    one, the files of :data:`DEFAULT_FILES` that are there."""
    directory = Path(directory)
    if table is not None:
        return parse(table, directory, source, "")
    found = {key: name for key, name in DEFAULT_FILES.items() if (directory / name).is_file()}
    if "organizations" not in found:
        raise ScenarioError(str(directory), "", f"no {FOLDER_FILE} and no {DEFAULT_FILES['organizations']}",
                            f"a folder with {DEFAULT_FILES['organizations']} (and optionally "
                            f"{DEFAULT_FILES['relationships']}, {DEFAULT_FILES['factors']}, {DEFAULT_FILES['sectors']}), "
                            f"or a {FOLDER_FILE} naming its files")
    return parse(found, directory, str(directory), "")
