"""The cord_uid registry: stable paper ids across releases.

Every release carries its registry (`cord_uid_registry.json`): every identifier key
and fuzzy key ever seen -> the cord_uid it was last given, and for every cord_uid the
generation (build number) that minted it and its status (active, merged into
another, or retired because no cluster holds it any more). A retired id comes back
when one of its keys is seen again.

`assign_cord_uids` gives this build's clusters their ids:
- a cluster keeps the cord_uid its keys had before;
- a cluster whose keys had several ids (earlier clusters that now merge) keeps the
  oldest (smallest generation, then smallest id), the others are recorded as merged
  into it;
- an id whose keys are now spread over several clusters (a split) stays with the
  part holding the most of its identifiers (then the cluster with the most
  identifiers, then the first cluster); the other parts keep another id they had,
  or get a new one;
- clusters with no known key get a new id minted from their keys: 8 characters
  [a-z0-9] from SHA-1, re-hashed with a counter on collision, so the same inputs
  mint the same ids.
"""
import hashlib
import json
from dataclasses import dataclass, field

from dedup.cluster import Cluster
from dedup.errors import RegistryError
from schemas import schema_errors

UID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
UID_LENGTH = 8
FUZZY_KEY_PREFIXES = ("fuzzy:", "record:")


@dataclass
class Registry:
    """Identifier/fuzzy key -> cord_uid, and per cord_uid its history."""

    generation: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    uids: dict[str, dict] = field(default_factory=dict)  # uid -> {"minted", "status"[, "merged_into"]}

    @classmethod
    def empty(cls) -> "Registry":
        return cls()

    @classmethod
    def from_json(cls, text: str) -> "Registry":
        """Read a registry written by `to_json`; RegistryError when it is not one."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RegistryError(f"the cord_uid registry is not JSON: {exc}") from exc
        problems = schema_errors("cord_uid_registry", data)
        if problems:
            raise RegistryError("invalid cord_uid registry: " + "; ".join(problems[:5]))
        uids = data["uids"]
        unknown = {uid for uid in data["keys"].values() if uid not in uids}
        for uid, info in uids.items():
            if info["status"] == "merged" and info.get("merged_into") not in uids:
                unknown.add(f"{uid}->{info.get('merged_into')}")
        if unknown:
            listed = ", ".join(sorted(unknown)[:5])
            raise RegistryError(f"the cord_uid registry refers to unknown cord_uids: {listed}")
        return cls(generation=data["generation"], keys=data["keys"], uids=data["uids"])

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys), the release file cord_uid_registry.json."""
        data = {"schema_version": "1", "generation": self.generation, "keys": self.keys, "uids": self.uids}
        return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"

    def resolve(self, uid: str) -> str:
        """Follow merges to the cord_uid that now stands for `uid`."""
        seen = {uid}
        while self.uids[uid].get("status") == "merged":
            uid = self.uids[uid]["merged_into"]
            if uid in seen:
                raise RegistryError(f"the cord_uid registry has a merge cycle through {uid}")
            seen.add(uid)
        return uid

    def active_uids(self) -> set[str]:
        return {uid for uid, info in self.uids.items() if info["status"] == "active"}


@dataclass
class Assignment:
    uids: list[str]  # one per cluster, aligned with the clusters given
    registry: Registry
    changes: dict  # {"new": [...], "removed": [...], "merged": [{old, new}], "split": [{old, new}]}


def mint_uid(seed: str, taken) -> str:
    """An 8-character [a-z0-9] id derived from `seed`, not in `taken`."""
    counter = 0
    while True:
        number = int.from_bytes(hashlib.sha1(f"{seed}#{counter}".encode("utf-8")).digest(), "big")
        chars = []
        for _ in range(UID_LENGTH):
            number, digit = divmod(number, len(UID_ALPHABET))
            chars.append(UID_ALPHABET[digit])
        uid = "".join(chars)
        if uid not in taken:
            return uid
        counter += 1


def _identifier_count(cluster: Cluster) -> int:
    return sum(1 for key in cluster.keys if not key.startswith(FUZZY_KEY_PREFIXES))


def assign_cord_uids(clusters: list[Cluster], previous: Registry | None) -> Assignment:
    """Give each cluster its cord_uid, keeping previous ids; return the new registry and the changes."""
    previous = previous or Registry.empty()
    generation = previous.generation + 1
    # A key held by several clusters of this build (kept apart by a conflict) says
    # little about which of them an old id belongs to: it counts only for clusters
    # that have no other known key.
    key_holders: dict[str, int] = {}
    for cluster in clusters:
        for key in cluster.keys:
            key_holders[key] = key_holders.get(key, 0) + 1
    # claims[i]: previous cord_uid -> how many of cluster i's keys point at it
    claims: list[dict[str, int]] = []
    claimants: dict[str, list[int]] = {}
    for index, cluster in enumerate(clusters):
        known = [key for key in cluster.keys if key in previous.keys]
        unshared = [key for key in known if key_holders[key] == 1]
        counts: dict[str, int] = {}
        for key in unshared or known:
            uid = previous.resolve(previous.keys[key])
            counts[uid] = counts.get(uid, 0) + 1
        claims.append(counts)
        for uid in counts:
            claimants.setdefault(uid, []).append(index)

    assigned: list[str | None] = [None] * len(clusters)
    for uid in sorted(claimants, key=lambda u: (previous.uids[u]["minted"], u)):
        free = [index for index in claimants[uid] if assigned[index] is None]
        if free:
            winner = max(free, key=lambda i: (claims[i][uid], _identifier_count(clusters[i]), -i))
            assigned[winner] = uid

    uids_info = {uid: dict(info) for uid, info in previous.uids.items()}
    taken = set(uids_info)
    new_uids = []
    for index, cluster in enumerate(clusters):
        if assigned[index] is None:
            uid = mint_uid("\n".join(cluster.keys), taken)
            taken.add(uid)
            uids_info[uid] = {"minted": generation, "status": "active"}
            assigned[index] = uid
            new_uids.append(uid)

    uids = [uid for uid in assigned if uid is not None]  # every cluster has its id now
    held = set(uids)
    merged: list[dict[str, str]] = []
    split: list[dict[str, str]] = []
    for uid, indices in claimants.items():
        if uid not in held:
            # every cluster holding its keys kept another id: it merged into the one holding most of them
            target = max(indices, key=lambda i: (claims[i][uid], -i))
            merged.append({"old": uid, "new": uids[target]})
            uids_info[uid] = {"minted": uids_info[uid]["minted"], "status": "merged", "merged_into": uids[target]}
        else:
            split.extend({"old": uid, "new": uids[i]} for i in indices if uids[i] != uid)
    previously_active = previous.active_uids()
    revived = []
    for uid in held:
        if uids_info[uid]["status"] != "active":
            uids_info[uid] = {"minted": uids_info[uid]["minted"], "status": "active"}
        if uid in previous.uids and uid not in previously_active:
            revived.append(uid)
    removed = []
    for uid in sorted(previously_active - held - set(claimants)):
        uids_info[uid] = {"minted": uids_info[uid]["minted"], "status": "retired"}
        removed.append(uid)

    keys = dict(previous.keys) | {key: uid for uid, cluster in zip(uids, clusters) for key in cluster.keys}
    changes = {
        "new": sorted(new_uids + revived),
        "removed": removed,
        "merged": sorted(merged, key=lambda change: (change["old"], change["new"])),
        "split": sorted(split, key=lambda change: (change["old"], change["new"])),
    }
    registry = Registry(generation=generation, keys=keys, uids=uids_info)
    return Assignment(uids=uids, registry=registry, changes=changes)
