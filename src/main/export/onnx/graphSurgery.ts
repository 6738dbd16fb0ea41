// Operations on a whole ONNX graph read by lossless.ts, for joining a user's file with the
// studio's own graphs: rename every name (so two graphs can share one namespace), keep only what
// one output needs, and find tensors whose values live outside the file.
import type { LAttribute, LGraph, LModel, LNode, LTensor } from './lossless'

/** The subgraphs an attribute holds (If/Loop/Scan bodies). */
function subgraphs(a: LAttribute): LGraph[] {
  return [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]
}

/** Every tensor an attribute holds (Constant values, sparse ones' parts). */
function attributeTensors(a: LAttribute): LTensor[] {
  const sparse = [...(a.sparseTensor ? [a.sparseTensor] : []), ...(a.sparseTensors ?? [])]
  return [...(a.t ? [a.t] : []), ...(a.tensors ?? []), ...sparse.flatMap((s) => [s.values, s.indices].filter((t): t is LTensor => !!t))]
}

/**
 * Renames, in place, every value and node name of `graph` and of the graphs nested in its nodes'
 * attributes: inputs, outputs, value_info, initializers (dense and sparse), node inputs and
 * outputs, node names, quantization annotations. Uniform renaming keeps a subgraph's references
 * to its outer scope intact. An empty name (an omitted optional input) stays empty.
 */
export function renameGraph(graph: LGraph, rename: (name: string) => string): void {
  const r = (name: string | undefined): string => (name ? rename(name) : (name ?? ''))
  const tensor = (t: LTensor | null | undefined): void => {
    if (t?.name) t.name = r(t.name)
  }
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) v.name = r(v.name)
  for (const t of graph.initializer) tensor(t)
  for (const s of graph.sparseInitializer) {
    tensor(s.values)
    tensor(s.indices)
  }
  for (const q of graph.quantizationAnnotation) {
    q.tensorName = r(q.tensorName)
    for (const e of q.quantParameterTensorNames ?? []) e.value = r(e.value)
  }
  for (const node of graph.node) {
    node.input = node.input.map(r)
    node.output = node.output.map(r)
    if (node.name) node.name = r(node.name)
    for (const a of node.attribute ?? []) for (const sub of subgraphs(a)) renameGraph(sub, rename)
  }
}

/** Names a node reads from its scope: its inputs and whatever its subgraphs read (taken
 * generously: a subgraph's own names too, which at worst keeps a node that was not needed). */
function reads(node: LNode): string[] {
  const nested = (node.attribute ?? []).flatMap(subgraphs).flatMap((g) => g.node.flatMap(reads))
  return [...node.input.filter(Boolean), ...nested]
}

/**
 * Keeps, in place, only the nodes that `outputs` depend on (in their order in the file), and the
 * initializers, value_info and annotations of the values that remain; the graph's outputs become
 * `outputs`. A feature extractor's other heads (a CLIP model's text tower, a classifier's logits)
 * cost nothing in the export then.
 */
export function pruneGraph(graph: LGraph, outputs: readonly string[]): void {
  const producer = new Map<string, number>()
  graph.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)))
  const needed = new Set<string>()
  const keep = new Set<number>()
  const stack = [...outputs]
  while (stack.length) {
    const name = stack.pop()!
    if (needed.has(name)) continue
    needed.add(name)
    const i = producer.get(name)
    if (i === undefined || keep.has(i)) continue
    keep.add(i)
    stack.push(...reads(graph.node[i]!))
  }
  graph.node = graph.node.filter((_, i) => keep.has(i))
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name ?? ''))
  graph.sparseInitializer = graph.sparseInitializer.filter((s) => needed.has(s.values?.name ?? ''))
  graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name ?? ''))
  graph.quantizationAnnotation = graph.quantizationAnnotation.filter((q) => needed.has(q.tensorName ?? ''))
  graph.input = graph.input.filter((v) => needed.has(v.name ?? ''))
  const byName = new Map(graph.output.map((v) => [v.name ?? '', v]))
  graph.output = outputs.map((name) => byName.get(name) ?? { name })
}

const isExternal = (t: LTensor): boolean => t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0

function graphTensors(graph: LGraph): LTensor[] {
  const sparse = graph.sparseInitializer.flatMap((s) => [s.values, s.indices].filter((t): t is LTensor => !!t))
  return [...graph.initializer, ...sparse, ...graph.node.flatMap(nodeTensors)]
}

function nodeTensors(node: LNode): LTensor[] {
  return (node.attribute ?? []).flatMap((a) => [...attributeTensors(a), ...subgraphs(a).flatMap(graphTensors)])
}

/** Names of the tensors (initializers, constants, in subgraphs and functions too) whose values
 * are stored in files beside the model rather than in it. */
export function externalTensors(model: LModel): string[] {
  const all = [...(model.graph ? graphTensors(model.graph) : []), ...model.functions.flatMap((f) => f.node.flatMap(nodeTensors))]
  return all.filter(isExternal).map((t) => t.name || '(unnamed)')
}
