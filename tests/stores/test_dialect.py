"""Each store's dialect: the expressions its read Cypher spells its own way."""

from __future__ import annotations

import pytest

from codekg.schema import PropType
from codekg.stores.dialect import LADYBUG, OPENCYPHER, Dialect
from codekg.stores.falkordb import FalkorDBStore
from codekg.stores.ladybug import LadybugStore
from codekg.stores.neo4j import Neo4jStore


@pytest.mark.parametrize(("dialect", "label", "rel_type", "nulls"), [
    (LADYBUG, "label(c)", "label(e)", ["CAST(NULL AS STRING)", "CAST(NULL AS INT64)", "CAST(NULL AS DOUBLE)",
                                       "CAST(NULL AS BOOLEAN)", "CAST(NULL AS STRING[])"]),
    (OPENCYPHER, "[label IN labels(c) WHERE label <> 'CodeElement'][0]", "type(e)", ["null"] * 5),
])
def test_expressions(dialect: Dialect, label: str, rel_type: str, nulls: list[str]) -> None:
    assert dialect.node_label("c") == label
    assert dialect.rel_type("e") == rel_type
    assert [dialect.null(prop_type) for prop_type in PropType] == nulls


def test_each_store_has_its_dialect() -> None:
    assert (LadybugStore.dialect, FalkorDBStore.dialect, Neo4jStore.dialect) == (LADYBUG, OPENCYPHER, OPENCYPHER)
