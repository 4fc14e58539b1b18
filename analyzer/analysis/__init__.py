"""Analyses: passes over the IR that rules and reports read.

Owns counting (parameters, trainable and not, ties, sharing), axis
provenance (``axes``), multiply-accumulates (``macs``), weight memory
(``memory``), the module tree (``modules``), what an op is (``ops``), the
dataflow graph (``graph``), the per-op index (``by_op``) and the report
document built from all of them (``document``). Imports only the IR: a
pass never knows which file format or which rule asked.
"""
