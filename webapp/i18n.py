"""Interface language: Chinese by default, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

from flask import Response, g, has_request_context, request

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a year: a reader's language choice rarely changes

# key -> (Chinese, English). Every string of the interface is here; data (titles, agencies) is never translated.
MESSAGES: dict[str, tuple[str, str]] = {
    "site": ("政府文件检索", "Government Documents Search"),
    "tagline": ("公开政府信息全文检索", "Full-text search of published government information"),
    "skip": ("跳到正文", "Skip to content"),
    "search_label": ("搜索政府文件", "Search government documents"),
    "search_placeholder": (
        "如：征地补偿标准、安全生产应急预案、侯政办〔2014〕120号",
        "e.g. 征地补偿标准, 安全生产应急预案, 侯政办〔2014〕120号",
    ),
    "search_button": ("搜索", "Search"),
    "switch_lang": ("English", "中文"),
    "switch_lang_label": ("Switch to English", "切换到中文"),
    "intro_title": ("检索公开的政府文件", "Search published government documents"),
    "intro_text": (
        "通知、公告、应急预案、征地补偿、政府信息公开年报、法规。"
        "支持繁体、文号（任意括号形式）、“引号短语”、-排除词、OR。",
        "Notices, announcements, contingency plans, land compensation, annual disclosure reports, "
        'regulations. Traditional characters, document numbers in any bracket form, "quoted phrases", '
        "-excluded words and OR all work.",
    ),
    "browse_all": ("浏览全部文件", "Browse all documents"),
    "found": ("找到 {n} 篇文件", "{n} documents found"),
    "found_for_q": ("找到 {n} 篇文件：", "{n} documents found for "),
    "close_filters": ("关闭筛选", "Close filters"),
    "advanced": ("高级搜索", "Advanced search"),
    "adv_intro": (
        "填写任意几项。结果页的地址可以收藏和分享；同样的参数用于 /api/search 即得 JSON。",
        "Fill in any of the fields. The results page's URL can be bookmarked and shared; /api/search takes the same.",
    ),
    "adv_words": ("关键词", "Words"),
    "all_words": ("包含以下全部词语", "All of these words"),
    "any_words": ("包含以下任一词语", "Any of these words"),
    "phrase": ("包含完整短语", "This exact phrase"),
    "none_words": ("不包含以下词语", "None of these words"),
    "words_hint": ("多个词语用空格分开", "Separate words with spaces"),
    "scope": ("搜索范围", "Search in"),
    "scope_all": ("全文", "Full text"),
    "scope_title": ("仅标题", "Title only"),
    "adv_filters": ("文件信息", "Document details"),
    "agency_hint": ("可从索引中已有的机关名称中选择", "Suggestions come from the agencies in the index"),
    "doc_number_hint": ("如：国发〔2023〕5号，括号形式不限", "e.g. 国发〔2023〕5号, any bracket form"),
    "region_hint": ("如：福建省 或 福建省/福州市（含下级地区）", "e.g. 福建省 or 福建省/福州市 (and lower levels)"),
    "any_value": ("不限", "Any"),
    "issued_range": ("成文日期范围", "Date written range"),
    "long_text_title": ("用一段文字搜索", "Search with a passage of text"),
    "long_text_label": ("粘贴文字", "Paste text"),
    "long_text_hint": (
        "最多 {n} 字；结果页会得到一个可分享的短地址。",
        "At most {n} characters; the results page gets a short URL you can share.",
    ),
    "on_this_page": ("本页内容", "On this page"),
    "also_searched": ("同时搜索了：", "Also searched: "),
    "filters": ("筛选", "Filters"),
    "to_filters": ("跳到筛选", "Jump to filters"),
    "selected_filters": ("已选筛选", "Selected filters"),
    "remove": ("取消", "remove"),
    "remove_all": ("清除全部筛选", "Clear all filters"),
    "selected_hint": ("（已选，点击取消）", " (selected, click to remove)"),
    "more_values": ("更多（{n}）", "More ({n})"),
    "date_range": ("发布日期范围", "Publication date range"),
    "date_from": ("从", "From"),
    "date_to": ("到", "To"),
    "apply": ("应用", "Apply"),
    "facet_chip": ("{facet}：{value}", "{facet}: {value}"),
    "date_chip": ("日期：{a} 至 {b}", "Date: {a} to {b}"),
    "issued_chip": ("成文日期：{a} 至 {b}", "Written: {a} to {b}"),
    "status_unknown": ("未知", "Unknown"),
    "sort": ("排序：", "Sort: "),
    "sort_relevance": ("相关度", "Relevance"),
    "sort_date": ("最新", "Newest"),
    "sort_date_asc": ("最早", "Oldest"),
    "export": ("导出全部结果：", "Export all results: "),
    "manifest": ("来源说明（可重新运行）", "provenance manifest (re-runnable)"),
    "feed": ("订阅（Atom）", "Subscribe (Atom)"),
    "chart_title": ("各年份文件数", "Documents per year"),
    "chart_bar": ("{year}年：{n} 篇，点击只看该年", "{year}: {n} documents, show only this year"),
    "results": ("搜索结果", "Search results"),
    "no_results": (
        "没有找到文件。可以减少关键词或取消筛选。",
        "No documents found. Try fewer words or remove a filter.",
    ),
    "did_you_mean": ("您是不是要找：", "Did you mean: "),
    "showing_for": ("显示「{fixed}」的结果；", "Showing results for “{fixed}”; "),
    "search_instead": ("仍搜索「", "search instead for “"),
    "search_instead_end": ("」", "”"),
    "empty_page": ("这一页没有结果。", "This page has no results."),
    "first_page": ("回到第一页", "Back to the first page"),
    "copies": ("另有 {n} 处转载", "Also published at {n} other places"),
    "copies_control": ("转载：", "Copies:"),
    "copies_folded": ("其中 {n} 篇是转载，列在各组首篇之下。", "{n} of them are copies, under their group's first."),
    "copies_one": ("每组只显示一处", "one per group"),
    "copies_all": ("显示全部转载", "every copy"),
    "superseded": ("此版本{validity}。", "This version is superseded ({validity})."),
    "current_version": ("查看现行版本", "See the version in force"),
    "versions": ("历次版本（{n}）", "Versions ({n})"),
    "in_force": ("现行", "in force"),
    "pagination": ("分页", "Pagination"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "page_n": ("第 {n} 页", "Page {n}"),
    "page_of": ("第 {p} / {n} 页", "Page {p} of {n}"),
    "doc_info": ("文件信息", "Document information"),
    "index_no": ("索引号", "Index number"),
    "agency": ("发文机关", "Issuing agency"),
    "doc_number": ("文号", "Document number"),
    "date_issued": ("成文日期", "Date written"),
    "date": ("发布日期", "Date published"),
    "topics": ("主题分类", "Topics"),
    "doc_type": ("体裁", "Document type"),
    "region": ("地区", "Region"),
    "status": ("有效性", "Validity"),
    "summary": ("内容概述", "Summary"),
    "keywords": ("关键词", "Keywords"),
    "original": ("原文链接", "Original"),
    "no_link": ("（无可用链接）", "(no usable link)"),
    "attachments": ("附件", "Attachments"),
    "text": ("正文", "Text"),
    "no_text": (
        "本文件只有目录信息，正文请见原文链接。",
        "Only the catalogue entry is indexed; read the text at the original.",
    ),
    "first_match": ("跳到第一处匹配", "Jump to the first match"),
    "back_to_results": ("返回搜索结果", "Back to the results"),
    "related": ("相关文件", "Related documents"),
    "other_places": ("其他发布位置（{n}）", "Also published at ({n})"),
    "cites": ("本文引用（{n}）", "Cites ({n})"),
    "cited_by": ("引用本文的文件（{n}）", "Cited by ({n})"),
    "similar": ("相似文件（先例）", "Similar documents (precedents)"),
    "similar_hint": ("其他机关或地区的相似文件排在前面。", "Documents from other agencies or regions come first."),
    "none": ("—", "—"),
    "facet_topic": ("主题分类", "Topic"),
    "facet_agency": ("发文机关", "Agency"),
    "facet_region": ("地区", "Region"),
    "facet_year": ("年份", "Year"),
    "facet_doc_type": ("体裁", "Type"),
    "facet_status": ("有效性", "Validity"),
    "facet_attachment": ("附件", "Attachments"),
    "error_400": ("请求有误", "Bad request"),
    "error_404": ("找不到该页面或文件", "Page or document not found"),
    "error_405": ("不支持该请求方法", "Method not allowed"),
    "error_414": ("请求地址过长", "URL too long"),
    "query_too_long": (
        "查询有 {n} 个字，最多 {limit} 个字。请缩短查询，或在高级搜索页粘贴一段文字。",
        "The query is {n} characters long; at most {limit} are allowed. Shorten it, or paste text on /advanced.",
    ),
    "home": ("返回首页", "Back to the home page"),
    "api_docs": ("API（OpenAPI）", "API (OpenAPI)"),
    "opensearch": ("政府文件检索", "Government documents"),
}


def lang() -> str:
    """Return the language of this request: ?lang=, else the cookie, else Chinese."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE) or DEFAULT_LANG
        g.lang = asked if asked in LANGS else DEFAULT_LANG
    return str(g.lang)


def t(key: str, **values: object) -> str:
    """Return the interface string for key in this request's language, with {values} filled in."""
    zh, en = MESSAGES[key]
    text = en if lang() == "en" else zh
    return text.format(**values) if values else text


def remember_lang(resp: Response) -> Response:
    """Store an explicit ?lang= choice in a cookie so later pages keep it."""
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        resp.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return resp


def add_lang_to_urls(endpoint: str, values: dict[str, object]) -> None:
    """Keep ?lang= in the links of pages (url_defaults hook), so a bookmarked URL keeps its language."""
    if not has_request_context() or endpoint == "static" or endpoint.startswith(("api.", "export.", "meta.")):
        return
    if "lang" in values or "lang" not in request.args:  # (a missing key costs MultiDict.get an exception)
        return
    asked = request.args.get("lang")
    if asked in LANGS:
        values["lang"] = asked
