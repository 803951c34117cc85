// Package report writes results/REPORT.md from mmapbench results: the
// machine, headline tables, the figures of package plot, and the seed
// article's claims, each with its measured evidence and a verdict computed
// by the rules in claims.go (which the report prints beside the table).
package report
