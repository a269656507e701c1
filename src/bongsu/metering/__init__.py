"""Container metering: what the containers of each cluster requested, used and were
allocated per hour, the nodes' idle capacity, a rate card and a monthly statement.

The data path: ``k8s.container.*`` points (``bongsu.kube.points``) → :mod:`.hours` (one
cluster and hour, from the store's ``metering_usage`` plus the live view's team labels and
node capacity) → hourly rows through :mod:`bongsu.store.metering` → :mod:`.rollup` (per
cluster / namespace / workload / team) → :mod:`.statement` (costs by the :mod:`.rates`
card). :mod:`.job` recomputes the current and previous hour on the lease holder.
"""
