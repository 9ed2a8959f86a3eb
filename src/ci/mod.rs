//! The CI stage: what turns finished runs into a verdict and combines the jobs of a pipeline —
//! the commit [`gate`] (exit code from results and findings), the [`baseline`] (known
//! order-dependent and flaky tests that do not fail the gate), and [`merge`] (one record and one
//! JUnit file from the partition jobs of one seed).

pub(crate) mod baseline;
pub(crate) mod gate;
pub(crate) mod merge;
pub(crate) mod merge_junit;
mod repro_args;
