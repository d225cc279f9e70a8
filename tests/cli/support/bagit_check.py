#!/usr/bin/env python3
"""bagit_check.py BAG -- an independent BagIt (RFC 8493) check of an extracted bag, for the
seal tests: bagit.txt, bag-info.txt with a Payload-Oxum that matches data/, every payload
file listed in every payload manifest with the right digest and nothing listed that is not
there, every tag manifest line right, and no tag file left unlisted (except the signatures
over the tag manifest, which cannot list themselves). Prints 'bag ok' or the problems and
exits 1."""
import hashlib
import os
import sys


def decode(path):
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(bag):
    problems = []
    with open(os.path.join(bag, "bagit.txt"), encoding="utf-8") as f:
        if f.read().splitlines() != ["BagIt-Version: 1.0", "Tag-File-Character-Encoding: UTF-8"]:
            problems.append("bagit.txt is not the BagIt 1.0 declaration")
    info = {}
    with open(os.path.join(bag, "bag-info.txt"), encoding="utf-8") as f:
        for line in f.read().splitlines():
            k, _, v = line.partition(":")
            info[k] = v.strip()
    payload = []
    for root, dirs, files in os.walk(os.path.join(bag, "data")):
        for name in files:
            payload.append(os.path.relpath(os.path.join(root, name), bag).replace(os.sep, "/"))
    size = sum(os.path.getsize(os.path.join(bag, p)) for p in payload)
    if info.get("Payload-Oxum") != f"{size}.{len(payload)}":
        problems.append(f"Payload-Oxum {info.get('Payload-Oxum')} but data/ holds {size}.{len(payload)}")
    for k in ("Bagging-Date", "External-Identifier", "Cbkit-Head", "Cbkit-Seq"):
        if k not in info:
            problems.append(f"bag-info.txt has no {k}")
    manifests = [n for n in os.listdir(bag) if n.startswith("manifest-") and n.endswith(".txt")]
    if sorted(manifests) != ["manifest-sha256.txt", "manifest-sha512.txt"]:
        problems.append(f"payload manifests: {manifests}")
    for m in manifests:
        algo = m[len("manifest-"):-4]
        listed = {}
        with open(os.path.join(bag, m), encoding="utf-8") as f:
            for line in f.read().splitlines():
                h, _, p = line.partition(" ")
                listed[decode(p.lstrip(" *"))] = h
        for p in payload:
            if p not in listed:
                problems.append(f"{p} not listed in {m}")
            elif digest(os.path.join(bag, p), algo) != listed[p]:
                problems.append(f"{p}: {algo} differs from {m}")
        for p in listed:
            if p not in payload:
                problems.append(f"{m} lists {p}, which is not in data/")
    tag_listed = set()
    with open(os.path.join(bag, "tagmanifest-sha256.txt"), encoding="utf-8") as f:
        for line in f.read().splitlines():
            h, _, p = line.partition(" ")
            p = decode(p.lstrip(" *"))
            tag_listed.add(p)
            if not os.path.isfile(os.path.join(bag, p)) or digest(os.path.join(bag, p), "sha256") != h:
                problems.append(f"tagmanifest: {p} missing or different")
    for root, dirs, files in os.walk(bag):
        for name in files:
            p = os.path.relpath(os.path.join(root, name), bag).replace(os.sep, "/")
            if p.startswith("data/") or p == "tagmanifest-sha256.txt" or p.startswith("seal/tagmanifest-sha256.txt."):
                continue
            if p not in tag_listed:
                problems.append(f"tag file {p} is not in tagmanifest-sha256.txt")
    for p in problems:
        print(p)
    if problems:
        return 1
    print("bag ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
