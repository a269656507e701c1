// Labels of the Ingress page: `ig.*`.
// `ko` must have exactly the keys of `en` (a type error otherwise; tests/web/test_strings.py
// checks the same and that both sides use the same `{placeholders}`).

export const en = {
  "nav.ingress": "Ingress",
  "ig.title": "Routes",
  "ig.hint": "Each Ingress rule (host + path → backend Service) with what the ingress controller measured over the time range.",
  "ig.none": "No Ingress route in the connected clusters.",
  "ig.noneBody": "Routes come from the clusters' Ingress objects; their traffic from the controller's metrics: `--kube-ingress CLUSTER=URL`.",
  "ig.host": "Host",
  "ig.path": "Path",
  "ig.backend": "Backend",
  "ig.service": "Bongsu service",
  "ig.rps": "Req/s",
  "ig.4xx": "4xx",
  "ig.5xx": "5xx",
  "ig.latency": "Latency",
  "ig.cluster": "Cluster",
  "ig.namespace": "Namespace",
  "ig.ingress": "Ingress",
  "ig.chart": "Requests per second by route",
  "ig.noMetrics": "no metrics",
};

export const ko: Record<keyof typeof en, string> = {
  "nav.ingress": "인그레스",
  "ig.title": "라우트",
  "ig.hint": "Ingress 규칙마다 (호스트 + 경로 → 백엔드 Service) 인그레스 컨트롤러가 시간 범위 동안 측정한 값입니다.",
  "ig.none": "연결된 클러스터에 Ingress 라우트가 없습니다.",
  "ig.noneBody": "라우트는 클러스터의 Ingress 오브젝트에서, 트래픽은 컨트롤러의 지표에서 옵니다: `--kube-ingress CLUSTER=URL`.",
  "ig.host": "호스트",
  "ig.path": "경로",
  "ig.backend": "백엔드",
  "ig.service": "봉수 서비스",
  "ig.rps": "초당 요청",
  "ig.4xx": "4xx",
  "ig.5xx": "5xx",
  "ig.latency": "지연 시간",
  "ig.cluster": "클러스터",
  "ig.namespace": "네임스페이스",
  "ig.ingress": "Ingress",
  "ig.chart": "라우트별 초당 요청",
  "ig.noMetrics": "지표 없음",
};
