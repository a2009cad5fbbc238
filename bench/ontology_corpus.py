"""Write a seeded repository of ontology files: N files, mixed Turtle and markdown pages of realistic
size (a Turtle module of 10-40 classes with labels, comments, parents, properties and restrictions; a
page per class with a property block, a turtle block and prose that mentions other classes), a few
parents left undeclared on purpose. Then `codekg index` it and time it (docs/benchmarks.md §18).

    python bench/ontology_corpus.py DIR [--files 974] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

NAMESPACE = "http://example.org/kb#"
PREFIXES = ("@prefix kb: <http://example.org/kb#> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n")
WORDS = ("asset account agent batch channel contract device event facility invoice ledger location machine "
         "measure order party payment policy process product project record resource role sample schedule "
         "sensor service shipment site skill task team ticket vehicle vendor warehouse").split()


def write_corpus(root: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    declared: list[str] = []
    turtle_files = files // 3
    for number in range(files):
        if number < turtle_files:
            lines = [PREFIXES, f"<http://example.org/kb/module{number}> a owl:Ontology ; rdfs:label \"Module {number}\" .\n"]
            for index in range(rng.randint(10, 40)):
                name = f"{rng.choice(WORDS).title()}{number}x{index}"
                parent = rng.choice(declared) if declared and rng.random() < 0.9 else f"Missing{rng.randint(0, 20)}"
                lines.append(f"kb:{name} a owl:Class ;\n    rdfs:label \"{name}\"@en ;\n"
                             f"    rdfs:comment \"A {name.lower()} of the knowledge base, number {index}.\" ;\n"
                             f"    rdfs:subClassOf kb:{parent} .\n")
                if rng.random() < 0.3:
                    lines.append(f"kb:{name} rdfs:subClassOf [ a owl:Restriction ; owl:onProperty kb:has{name} ; "
                                 f"owl:someValuesFrom kb:{rng.choice(declared or [name])} ] .\n")
                    lines.append(f"kb:has{name} a owl:ObjectProperty ; rdfs:domain kb:{name} ; rdfs:range kb:{parent} .\n")
                lines.append(f"kb:{name.lower()}Code a owl:DatatypeProperty ; rdfs:domain kb:{name} ; rdfs:range xsd:string .\n")
                declared.append(name)
            path = root / "ontology" / f"module{number}.ttl"
            text = "\n".join(lines)
        else:
            name = f"Page{number}"
            parent = rng.choice(declared)
            mentioned = ", ".join(f"kb:{rng.choice(declared)}" for _ in range(3))
            text = (f"# {name}\n\nA page about {name.lower()}: it relates to {mentioned}.\n\n"
                    f"iri:: kb:{name}\ntype:: owl:Class\nlabel:: {name}\nsubClassOf:: kb:{parent}\n"
                    f"prefix:: kb {NAMESPACE}\n\n"
                    + "Some prose that explains the term in a sentence or two. " * rng.randint(2, 12) + "\n\n"
                    f"```turtle\nkb:{name.lower()}Of a owl:ObjectProperty ;\n    rdfs:domain kb:{name} ;\n"
                    f"    rdfs:range kb:{rng.choice(declared)} .\n```\n")
            declared.append(name)
            path = root / "pages" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=974)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    write_corpus(arguments.root, arguments.files, arguments.seed)
    print(f"{arguments.files} files in {arguments.root}")


if __name__ == "__main__":
    main()
