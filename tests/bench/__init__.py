"""The benchmark's Python side (bench/): no test here runs wrk or times anything."""
