// Labels of the Rules page: `ru.*`.
// `ko` must have exactly the keys of `en` (a type error otherwise; tests/web/test_strings.py
// checks the same and that both sides use the same `{placeholders}`).

export const en = {
  "nav.rules": "Rules",
  "ru.title": "Rules",
  "ru.none": "No rule yet.",
  "ru.name": "Name",
  "ru.kind": "Kind",
  "ru.severity": "Severity",
  "ru.for": "For",
  "ru.interval": "Interval",
  "ru.spec": "Spec (JSON)",
  "ru.enabled": "Enabled",
  "ru.builtin": "Built-in",
  "ru.yes": "yes",
  "ru.no": "no",
  "ru.enable": "Enable",
  "ru.disable": "Disable",
  "ru.create": "New rule",
  "ru.createHint": "The spec holds the kind's own fields; the server checks them all.",
  "ru.save": "Create",
};

export const ko: Record<keyof typeof en, string> = {
  "nav.rules": "규칙",
  "ru.title": "규칙",
  "ru.none": "아직 규칙이 없습니다.",
  "ru.name": "이름",
  "ru.kind": "종류",
  "ru.severity": "심각도",
  "ru.for": "지속",
  "ru.interval": "주기",
  "ru.spec": "스펙 (JSON)",
  "ru.enabled": "사용",
  "ru.builtin": "기본 제공",
  "ru.yes": "예",
  "ru.no": "아니요",
  "ru.enable": "켜기",
  "ru.disable": "끄기",
  "ru.create": "새 규칙",
  "ru.createHint": "스펙에는 종류별 필드가 들어가며, 서버가 모두 검사합니다.",
  "ru.save": "만들기",
};
