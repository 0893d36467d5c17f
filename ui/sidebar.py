"""The sidebar: index status, search settings (top_k, article and metadata filters) and the admin upload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import streamlit as st

from ui.client import ApiClient, ApiError, DocumentInfo, ReadyStatus, UploadResult
from ui.highlight import inline_code, plain_markdown

UPLOAD_TYPES = ["txt", "md", "markdown", "html", "htm", "docx", "pdf"]
ANY_PUBLISHER = "全部发布者"
STATUS_LABELS = {"created": "新增", "new": "新增", "updated": "已更新", "unchanged": "内容未变化,未重新索引"}


@dataclass(frozen=True)
class SearchChoices:
    top_k: int
    doc_ids: list[str]
    filters: dict[str, str] = field(default_factory=dict)  # the `filters` of POST /ask


def uploader_key() -> str:
    """Key of the current file uploader; bumping the generation empties it after an upload."""
    return f"upload-file-{st.session_state.get('upload_gen', 0)}"


def draw_status(ready: ReadyStatus | None, api_url: str) -> None:
    st.subheader("索引状态")
    if ready is None:
        st.error(f"无法连接到 API  \n{inline_code(api_url)}", icon=":material/cloud_off:")
    elif not ready.ready:
        st.warning("索引正在加载,暂时不能提问。", icon=":material/hourglass_top:")
    else:
        docs, passages = st.columns(2)
        docs.metric("文章", ready.documents)
        passages.metric("段落", ready.passages)
        bits = [f"版本 {ready.index_version}" if ready.index_version else "", ready.embedder]
        st.caption(plain_markdown(" · ".join(b for b in bits if b)))
    st.button("刷新状态", key="refresh-status", icon=":material/refresh:", type="tertiary")


def _documents(client: ApiClient) -> tuple[list[DocumentInfo], str]:
    try:
        return client.documents(), ""
    except ApiError as exc:
        return [], exc.detail


def draw_search_choices(client: ApiClient, reachable: bool) -> SearchChoices:
    st.subheader("检索设置")
    top_k = st.slider("返回段落数", min_value=1, max_value=10, value=5, key="top_k")
    docs, problem = _documents(client) if reachable else ([], "")
    titles = {d.doc_id: d.title or d.doc_id for d in docs}
    kept = [d for d in st.session_state.get("doc_filter", []) if d in titles]
    st.session_state["doc_filter"] = kept
    doc_ids = st.multiselect(
        "只在这些文章中查找",
        options=list(titles),
        format_func=lambda doc_id: titles.get(doc_id, doc_id),
        key="doc_filter",
        placeholder="全部文章",
        disabled=not titles,
    )
    if problem:
        st.caption(f"文章列表读取失败:{plain_markdown(problem)}")
    return SearchChoices(top_k=int(top_k), doc_ids=list(doc_ids), filters=_draw_metadata_filters(docs))


def _draw_metadata_filters(docs: list[DocumentInfo]) -> dict[str, str]:
    """Publisher, source and publication dates: the API applies them before ranking."""
    publishers = sorted({p for d in docs if (p := str(getattr(d, "publisher", "") or ""))})
    with st.expander("按发布者、来源和日期筛选", expanded=False):
        publisher = st.selectbox("发布者", [ANY_PUBLISHER, *publishers], key="filter_publisher",
                                 disabled=not publishers)
        source = st.text_input("来源包含", key="filter_source", placeholder="文件名、上传名或网址的一部分")
        after = st.date_input("发布日期不早于", value=None, key="filter_after", format="YYYY-MM-DD")
        before = st.date_input("发布日期不晚于", value=None, key="filter_before", format="YYYY-MM-DD")
    filters: dict[str, str] = {}
    if publisher and publisher != ANY_PUBLISHER:
        filters["publisher"] = publisher
    if source.strip():
        filters["source"] = source.strip()
    if isinstance(after, date) and isinstance(before, date) and before < after:
        st.caption("结束日期早于开始日期,日期筛选未生效。")
        return filters
    if isinstance(after, date):
        filters["published_after"] = after.isoformat()
    if isinstance(before, date):
        filters["published_before"] = before.isoformat()
    return filters


def upload_article(client: ApiClient, admin_key: str) -> None:
    """Button callback: send the uploaded file to POST /documents and keep the outcome for display."""
    st.session_state.pop("upload_result", None)
    st.session_state.pop("upload_error", None)
    file = st.session_state.get(uploader_key())
    if file is None:
        st.session_state["upload_error"] = "请先选择一个文章文件。"
        return
    try:
        result = client.upload(file.name, file.getvalue(), admin_key, file.type or "text/plain")
    except ApiError as exc:
        reason = {401: "缺少管理员密钥", 403: "管理员密钥无效或服务未开放写入", 413: "文件太大"}
        st.session_state["upload_error"] = f"上传失败:{reason.get(exc.status or 0, exc.detail)}"
        return
    st.session_state["upload_result"] = (file.name, result)
    st.session_state["upload_gen"] = st.session_state.get("upload_gen", 0) + 1


def _draw_upload_result() -> None:
    if error := st.session_state.get("upload_error"):
        st.error(plain_markdown(error))
    outcome: tuple[str, UploadResult] | None = st.session_state.get("upload_result")
    if outcome is None:
        return
    name, result = outcome
    status = STATUS_LABELS.get(result.status, result.status)
    st.success(plain_markdown(f"已索引 {name}:{status}"), icon=":material/check_circle:")
    st.markdown(
        "\n".join(
            f"- {label}:{plain_markdown(str(value))}"
            for label, value in (
                ("doc_id", result.doc_id),
                ("段落数", result.passages),
                ("状态", result.status),
                ("索引版本", result.index_version),
            )
        )
    )


def draw_admin(on_upload: Callable[[str], None]) -> None:
    st.subheader("管理")
    admin_key = st.text_input("管理员密钥", type="password", key="admin_key", placeholder="输入后可上传文章")
    if not admin_key.strip():
        st.caption("输入管理员密钥后可上传新文章(.txt / .md / .html / .docx / .pdf)。")
        return
    st.file_uploader("上传文章文件", type=UPLOAD_TYPES, key=uploader_key())
    st.button("上传并索引", type="primary", on_click=on_upload, args=(admin_key.strip(),), width="stretch")
    _draw_upload_result()
