/**
 * Label errors the confident-learning way: Northcutt, Jiang & Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 70 (2021), as cleanlab's find_label_issues
 * does it, with out-of-fold probabilities (from models that never saw the label they score).
 *
 * - Per class j, the threshold t_j is the mean predicted probability of j over the images
 *   labelled j (the model's average self-confidence on that class).
 * - An image labelled y is a suspect when some other class j reaches its threshold
 *   (p_j >= t_j) while its own label does not (p_y < t_y): it sits in an off-diagonal cell of
 *   the confident joint.
 * - The suggestion is the above-threshold class with the highest probability; suspects are
 *   ranked by how far the best other class is ahead of the given label (max_{j != y} p_j - p_y,
 *   cleanlab's normalized margin, rank_by='normalized_margin'), most suspicious first.
 */

export interface LabelIssue {
  index: number
  label: number
  suggested: number
  /** max_{j != label} p_j - p_label, in -1..1 */
  score: number
}

/** Per-class thresholds: mean probability of class j over items labelled j (NaN: no such item). */
export function classThresholds(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number[] {
  const sum = new Array<number>(classes).fill(0)
  const count = new Array<number>(classes).fill(0)
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!
    sum[y]! += probs[i * classes + y]!
    count[y]!++
  }
  return sum.map((s, j) => (count[j] ? s / count[j]! : NaN))
}

/** `probs` is [n * classes], row i the out-of-fold probabilities of item i. */
export function findLabelIssues(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): { thresholds: number[]; issues: LabelIssue[] } {
  const thresholds = classThresholds(probs, labels, classes)
  const issues: LabelIssue[] = []
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!
    const row = i * classes
    const own = probs[row + y]!
    if (!(own < thresholds[y]!)) continue
    let suggested = -1
    let best = -Infinity
    let bestOther = -Infinity
    for (let j = 0; j < classes; j++) {
      if (j === y) continue
      const p = probs[row + j]!
      if (p > bestOther) bestOther = p
      if (p >= thresholds[j]! && p > best) {
        best = p
        suggested = j
      }
    }
    if (suggested >= 0) issues.push({ index: i, label: y, suggested, score: bestOther - own })
  }
  issues.sort((a, b) => b.score - a.score || a.index - b.index)
  return { thresholds, issues }
}
