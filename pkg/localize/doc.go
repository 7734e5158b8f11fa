// Package localize answers "where is it?": given tickets counted per combination of the
// values of some dimensions (a cube of leaves), in a window and over a baseline period,
// it finds the smallest set of combinations of up to three dimensions (service =
// checkout ∧ region = us-east-1) that explains a rise, or says that the rise is spread
// evenly. It is pure computation over the leaf counts; the engine counts the leaves
// (engine.Leaves) in one pass over the rows.
//
// # The algorithm
//
// A forward selection of causes in one likelihood model, with a penalty per cause:
//
//  1. Every leaf's tickets of both periods are split between the window and the
//     baseline; at the usual rate the window's share is Scale/(1+Scale). The model
//     (model.go) moves that share by a global level (the time of day, an even rise) and,
//     for every cause holding the leaf, adds that cause's excess rate. Conditioning on the
//     leaf's total makes the baseline's own noise part of the test (a binomial), which a
//     Poisson around the baseline would ignore.
//  2. Every combination of one, two and three dimensions present in the window is a
//     candidate (cuboid.go), its window and total tickets summed in one pass over the
//     leaves. Only the triples that hold enough window tickets to pay a triple's penalty
//     are kept (a bound, not a heuristic: a combination holding a tickets can gain at
//     most a·log(1/p) log-likelihood), so their number is bounded by the window's
//     tickets, not its leaves (triples.go).
//  3. The search adds the candidate whose gain in log-likelihood over the current model
//     is largest, refits, and keeps it only if the gain, divided by the measured
//     over-dispersion of ticket counts (noise.go: tickets come in clumps), exceeds
//     log(K/alpha), K being the number of candidates of that many dimensions: a
//     Bonferroni bound that sets the chance of naming anything in a quiet window to
//     alpha, and that makes a triple pay more than a single value, so the answer names
//     the broadest combination the data supports. After each addition, causes that no
//     longer earn their penalty (a broad value made redundant by the narrower
//     combinations found after it) are pruned.
//  4. While causes are sought the global level is held at the median share of the
//     values of every dimension (a cause lifts its own values, not the median; no value
//     weighs more than a quarter), so that an incident holding most of the window's
//     tickets still stands out; when no candidate is left, the level is lowered to what
//     the values outside the causes found show (causes in several dimensions lift every
//     median) and the search goes on.
//  5. Local moves that only raise the penalized likelihood: specialize (a cause of one or
//     two dimensions gives way to the narrower combinations the search finds without it:
//     two incidents sharing a pair), then, with the level refitted, prune and generalize
//     (a combination gives way to a broader one holding nearly the same tickets, which
//     pays less). A cause must also hold at least seven clumps of tickets (its count over
//     the dispersion): one alarm's burst in a combination that usually has none is not an
//     incident. With no cause and a significant rise of the total, the verdict is Spread:
//     "no localized cause".
//
// Each cause reports its tickets now, expected (baseline times Scale), its excess over
// what the rest of the model predicts, that excess as a share of the whole rise, and a
// score: the square root of twice the log-likelihood the answer loses without it, in
// standard deviations.
//
// # Why this and not the published methods
//
// The research line localizes multi-dimensional root causes of a rise of an additive
// measure; each method answers a part of what tickets need:
//
//   - Adtributor (Bhagwan et al., NSDI 2014) ranks the values of each dimension by
//     surprise (Jensen-Shannon divergence of the shares) and explanatory power, and keeps
//     the values that explain most of the change. It assumes the cause lies in one
//     dimension: service ∧ region is out of its reach, which is exactly the outage this
//     issue is about. `movers` is the same idea, and the benchmark shows what it misses.
//   - iDice (Lin et al., ICSE 2016) was built for volumes of issue reports, the closest
//     problem to ours: it prunes combinations by impact and by a change test, and ranks
//     by isolation power (a divergence between inside and outside). Its pruning
//     thresholds are fixed by hand and it ranks combinations independently, so two
//     causes and the broader combinations containing them all come out; there is no
//     "smallest set".
//   - HotSpot (Sun et al., IEEE Access 2018) scores a set of combinations by its
//     potential score under the ripple effect (a cause's change spreads to its leaves in
//     proportion to their forecast) and explores sets by Monte Carlo tree search per
//     cuboid. The ripple effect is our model's assumption too (a cause multiplies its
//     leaves' rates), but MCTS is slow (seconds to minutes) and its score has no notion
//     of noise: on small counts, Poisson chance alone gives high potential scores.
//   - Squeeze (Li et al., ISSRE 2019) clusters leaves by deviation score and searches
//     each cluster with a generalized potential score and a succinctness term; the
//     threshold of its clustering and the weight of succinctness are tuned per data set,
//     and its deviation score (relative change) is unstable on the small counts that most
//     ticket combinations have.
//   - RiskLoc (Kalander, 2022) partitions leaves into normal and abnormal by deviation
//     score, weights them by distance from the split and ranks elements by a risk score;
//     fast and strong on the semi-synthetic benchmarks, but the partition again relies on
//     relative deviations of each leaf, which on counts of 0, 1 and 2 tickets are mostly
//     noise, and it has no statement of how often a quiet window yields a false culprit.
//
// Tickets are small counts, clumped, with the window often shorter than the baseline, and
// a responder must be able to trust a silent answer. So instead of deviation scores and
// tuned thresholds, this package uses one likelihood (counts, not ratios, so a leaf of 2
// tickets weighs as little as it should), a penalty derived from a false alarm rate
// (Options.Alpha) rather than tuned, a measured over-dispersion instead of an assumed
// Poisson, and a greedy selection with pruning that yields the smallest set directly. The
// search is bounded by the candidates present in the window and costs one pass over the
// leaves per cuboid plus a few fits of a model whose parameters are the handful of causes
// (the fit works on groups of leaves held by the same causes, not on leaves).
package localize
