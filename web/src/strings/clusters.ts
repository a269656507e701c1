// Labels of the Clusters page: `cl.*`.
// `ko` must have exactly the keys of `en` (a type error otherwise; tests/web/test_strings.py
// checks the same and that both sides use the same `{placeholders}`).

export const en = {
  "nav.clusters": "Clusters",
  "cl.title": "Clusters",
  "cl.none": "No Kubernetes cluster is connected.",
  "cl.noneBody": "Connect one: `bongsu server --kube NAME[:LABEL]=KUBECONFIG` (repeatable), or try `bongsu simulate --kube`.",
  "cl.state.connecting": "Connecting",
  "cl.state.connected": "Connected",
  "cl.state.unreachable": "Unreachable",
  "cl.nodes": "Nodes ready",
  "cl.pods": "Pods ready",
  "cl.warnings": "Warning episodes (1 h)",
  "cl.criticals": "Critical episodes (1 h)",
  "cl.services": "Services",
  "cl.openEvents": "Events",
  "cl.traffic": "Traffic by cluster",
  "cl.trafficHint": "Per service, the share of its transactions each cluster served (left) and its replicas per cluster (right).",
  "cl.share": "{service}: share of transactions",
  "cl.replicas": "{service}: replicas",
  "cl.noTraffic": "No service with pods in the connected clusters.",
  "cl.noCluster": "(no cluster)",
};

export const ko: Record<keyof typeof en, string> = {
  "nav.clusters": "클러스터",
  "cl.title": "클러스터",
  "cl.none": "연결된 Kubernetes 클러스터가 없습니다.",
  "cl.noneBody": "클러스터를 연결하세요: `bongsu server --kube NAME[:LABEL]=KUBECONFIG` (여러 번 지정 가능), 또는 `bongsu simulate --kube`로 시험해 보세요.",
  "cl.state.connecting": "연결 중",
  "cl.state.connected": "연결됨",
  "cl.state.unreachable": "연결 불가",
  "cl.nodes": "준비된 노드",
  "cl.pods": "준비된 파드",
  "cl.warnings": "경고 에피소드 (1시간)",
  "cl.criticals": "심각 에피소드 (1시간)",
  "cl.services": "서비스",
  "cl.openEvents": "이벤트",
  "cl.traffic": "클러스터별 트래픽",
  "cl.trafficHint": "서비스마다 각 클러스터가 처리한 트랜잭션 비율(왼쪽)과 클러스터별 레플리카 수(오른쪽)입니다.",
  "cl.share": "{service}: 트랜잭션 비율",
  "cl.replicas": "{service}: 레플리카",
  "cl.noTraffic": "연결된 클러스터에 파드가 있는 서비스가 없습니다.",
  "cl.noCluster": "(클러스터 없음)",
};
