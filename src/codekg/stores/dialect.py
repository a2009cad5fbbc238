"""The few expressions in which the stores' read Cypher differs, so that queries built outside
stores/ never name a database: they ask `store.dialect` for these and write the rest in the Cypher
every store shares.

Ladybug (the embedded store, a Kuzu fork) spells a node's label and a relationship's type both
`label(x)`, and it types every column of a query: a bare `null` is of type ANY, which the parts of
a UNION ALL cannot reconcile with a column of INT64 or DOUBLE, so a null there is cast. FalkorDB,
Neo4j 5 and Memgraph speak openCypher: a node's label is the one of `labels(n)` that is not
`CodeElement` (the second label every declared symbol carries there: schema.CODE_ELEMENT_LABELS),
`type(e)`, and an untyped `null`.
"""

from __future__ import annotations

from dataclasses import dataclass

from codekg.schema import PropType


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    node_label_call: str  # `{}` is the node variable
    rel_type_call: str  # `{}` is the relationship variable
    typed_nulls: bool  # whether a null must carry its type (a UNION ALL column)

    def node_label(self, var: str) -> str:
        """The label of node ``var``, as a string."""
        return self.node_label_call.format(var)

    def rel_type(self, var: str) -> str:
        """The type of relationship ``var``, as a string."""
        return self.rel_type_call.format(var)

    def null(self, prop_type: PropType) -> str:
        """A null of ``prop_type``: what a UNION ALL part returns for a column another part fills."""
        return f"CAST(NULL AS {prop_type.value})" if self.typed_nulls else "null"


LADYBUG = Dialect("ladybug", "label({})", "label({})", typed_nulls=True)
OPENCYPHER = Dialect("opencypher", "[label IN labels({}) WHERE label <> 'CodeElement'][0]", "type({})",
                     typed_nulls=False)
