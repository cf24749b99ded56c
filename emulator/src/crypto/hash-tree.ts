/**
 * The certified state tree: hash trees as the interface spec defines them, a labelled tree whose
 * node hashes are computed once and cached, and witnesses that keep the labels next to every
 * requested path so that a missing path is provably absent rather than unknown.
 */
import { compareBytes, domainSeparator, sha256, toHex } from './hash.js'

export type HashTree =
  | readonly [0]
  | readonly [1, HashTree, HashTree]
  | readonly [2, Uint8Array, HashTree]
  | readonly [3, Uint8Array]
  | readonly [4, Uint8Array]

const DS_EMPTY = domainSeparator('ic-hashtree-empty')
const DS_FORK = domainSeparator('ic-hashtree-fork')
const DS_LABELED = domainSeparator('ic-hashtree-labeled')
const DS_LEAF = domainSeparator('ic-hashtree-leaf')
const EMPTY_HASH = sha256(DS_EMPTY)

/** The root hash a client computes from a (possibly pruned) tree. */
export function reconstruct(tree: HashTree): Uint8Array {
  switch (tree[0]) {
    case 0:
      return EMPTY_HASH
    case 1:
      return sha256(DS_FORK, reconstruct(tree[1]), reconstruct(tree[2]))
    case 2:
      return sha256(DS_LABELED, tree[1], reconstruct(tree[2]))
    case 3:
      return sha256(DS_LEAF, tree[1])
    case 4:
      return tree[1]
  }
}

/** A leaf of the state tree; its hash is computed on first use (replies can be megabytes). */
export class StateLeaf {
  private cachedHash: Uint8Array | undefined
  constructor(readonly value: Uint8Array) {}
  get hash(): Uint8Array {
    this.cachedHash ??= sha256(DS_LEAF, this.value)
    return this.cachedHash
  }
}

export type StateNode = StateLeaf | StateLevel

interface LabeledNode {
  readonly kind: 'labeled'
  readonly label: Uint8Array
  readonly child: StateNode
  readonly hash: Uint8Array
}

interface ForkNode {
  readonly kind: 'fork'
  readonly left: TreeNode
  readonly right: TreeNode
  readonly hash: Uint8Array
  readonly first: LabeledNode
  readonly last: LabeledNode
}

type TreeNode = LabeledNode | ForkNode

const firstOf = (n: TreeNode): LabeledNode => (n.kind === 'labeled' ? n : n.first)
const lastOf = (n: TreeNode): LabeledNode => (n.kind === 'labeled' ? n : n.last)

function fork(left: TreeNode, right: TreeNode): ForkNode {
  return { kind: 'fork', left, right, hash: sha256(DS_FORK, left.hash, right.hash), first: firstOf(left), last: lastOf(right) }
}

/** Balanced fork tree over nodes that are already in label order. */
function balance(nodes: readonly TreeNode[], lo = 0, hi = nodes.length): TreeNode {
  if (hi - lo === 1) return nodes[lo] as TreeNode
  const mid = (lo + hi) >>> 1
  return fork(balance(nodes, lo, mid), balance(nodes, mid, hi))
}

export function labeled(label: Uint8Array, child: StateNode): LabeledNode {
  return { kind: 'labeled', label, child, hash: sha256(DS_LABELED, label, child.hash) }
}

/** One level of labelled children, sorted bytewise as the spec's well-formedness rule demands. */
export class StateLevel {
  private constructor(private readonly root: TreeNode | undefined) {}

  static of(children: Iterable<readonly [Uint8Array | string, StateNode]>): StateLevel {
    const nodes = [...children]
      .map(([label, child]) => labeled(typeof label === 'string' ? new TextEncoder().encode(label) : label, child))
      .sort((a, b) => compareBytes(a.label, b.label))
    for (let i = 1; i < nodes.length; i++) {
      if (compareBytes((nodes[i - 1] as LabeledNode).label, (nodes[i] as LabeledNode).label) === 0) {
        throw new Error(`Duplicate label ${toHex((nodes[i] as LabeledNode).label)} in a state tree level`)
      }
    }
    return new StateLevel(nodes.length === 0 ? undefined : balance(nodes))
  }

  /** Concatenates levels whose label ranges are disjoint and ascending (e.g. buckets by first byte). */
  static concat(parts: readonly StateLevel[]): StateLevel {
    const roots = parts.map((p) => p.root).filter((r): r is TreeNode => r !== undefined)
    return new StateLevel(roots.length === 0 ? undefined : balance(roots))
  }

  get hash(): Uint8Array {
    return this.root?.hash ?? EMPTY_HASH
  }

  get(label: Uint8Array): StateNode | undefined {
    const hit = this.locate(label)
    return hit.found?.child
  }

  /** The node with `label`, or the labels on either side of where it would be. */
  private locate(label: Uint8Array): { found?: LabeledNode; pred?: LabeledNode; succ?: LabeledNode } {
    let node = this.root
    let pred: LabeledNode | undefined
    let succ: LabeledNode | undefined
    while (node !== undefined) {
      if (node.kind === 'labeled') {
        const c = compareBytes(label, node.label)
        if (c === 0) return { found: node }
        if (c < 0) return { pred, succ: node }
        return { pred: node, succ }
      }
      if (compareBytes(label, node.left.kind === 'labeled' ? node.left.label : node.left.last.label) <= 0) {
        succ = firstOf(node.right)
        node = node.left
      } else {
        pred = lastOf(node.left)
        node = node.right
      }
    }
    return {}
  }

  full(): HashTree {
    return this.root === undefined ? [0] : fullNode(this.root)
  }

  witness(paths: readonly (readonly Uint8Array[])[]): HashTree {
    if (this.root === undefined) return [0]
    const visible = new Map<string, { node: LabeledNode; rests: (readonly Uint8Array[])[] | undefined }>()
    for (const path of paths) {
      const [head, ...rest] = path
      if (head === undefined) return this.full()
      const hit = this.locate(head)
      if (hit.found !== undefined) {
        const key = toHex(hit.found.label)
        const entry = visible.get(key)
        if (entry === undefined || entry.rests === undefined) visible.set(key, { node: hit.found, rests: [rest] })
        else entry.rests.push(rest)
        continue
      }
      for (const neighbour of [hit.pred, hit.succ]) {
        if (neighbour === undefined) continue
        const key = toHex(neighbour.label)
        if (!visible.has(key)) visible.set(key, { node: neighbour, rests: undefined })
      }
    }
    const shown = [...visible.values()].map((v) => v.node.label).sort(compareBytes)
    const prune = (node: TreeNode): HashTree => {
      if (node.kind === 'labeled') {
        const entry = visible.get(toHex(node.label))
        if (entry === undefined) return [4, node.hash]
        if (entry.rests === undefined) return [2, node.label, [4, node.child.hash]]
        return [2, node.label, witnessOf(node.child, entry.rests)]
      }
      const lo = node.first.label
      const hi = node.last.label
      if (!shown.some((l) => compareBytes(l, lo) >= 0 && compareBytes(l, hi) <= 0)) return [4, node.hash]
      return [1, prune(node.left), prune(node.right)]
    }
    return prune(this.root)
  }
}

function fullNode(node: TreeNode): HashTree {
  if (node.kind === 'fork') return [1, fullNode(node.left), fullNode(node.right)]
  return [2, node.label, fullOf(node.child)]
}

export function fullOf(node: StateNode): HashTree {
  return node instanceof StateLeaf ? [3, node.value] : node.full()
}

/** The witness for `paths` below `node`: requested subtrees in full, everything else pruned. */
export function witnessOf(node: StateNode, paths: readonly (readonly Uint8Array[])[]): HashTree {
  if (node instanceof StateLeaf || paths.some((p) => p.length === 0)) return fullOf(node)
  return node.witness(paths)
}
