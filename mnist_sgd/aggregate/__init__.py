"""Aggregation: every run's files collected into tidy tables (rule ``aggregate``) and the paired
tests of the models the report compares (rule ``paired_tests``). The report reads only these."""
