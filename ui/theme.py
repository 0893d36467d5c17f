"""The page's CSS: a CJK font stack, readable line length and spacing, source cards and marks."""

from __future__ import annotations

FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)

CSS = f"""
<style>
:root {{ --aq-font: {FONT_STACK}; }}
.stApp, .stApp p, .stApp li, .stApp label, .stApp input, .stApp textarea, .stApp button,
.stApp h1, .stApp h2, .stApp h3, .stApp h4, .stApp [data-testid="stMetricValue"] {{
  font-family: var(--aq-font);
}}
.stApp p, .stApp li {{ line-height: 1.75; }}
.block-container {{ max-width: 50rem; padding-top: 3rem; padding-bottom: 6rem; }}
.stApp h1 {{ font-size: 2.1rem; font-weight: 700; letter-spacing: 0.02em; padding-bottom: 0.2rem; }}
[data-testid="stSidebar"] .block-container {{ padding-top: 1.5rem; }}
.aq-answer {{
  font-family: var(--aq-font); font-size: 1.05rem; line-height: 1.8;
  margin: 0.1rem 0 0.35rem 0; word-break: break-word;
}}
.aq-uncovered {{
  font-family: var(--aq-font); line-height: 1.7; padding: 0.75rem 1rem; border-radius: 0.6rem;
  background: rgba(255, 171, 64, 0.12); border-left: 4px solid #f0a030;
}}
.aq-uncovered b {{ font-size: 1.05rem; }}
.aq-uncovered div {{ font-size: 0.9rem; opacity: 0.8; margin-top: 0.2rem; }}
.aq-sources-label {{
  font-family: var(--aq-font); font-size: 0.85rem; opacity: 0.65; margin: 0.4rem 0 0.1rem 0;
  letter-spacing: 0.05em;
}}
.aq-source {{
  font-family: var(--aq-font); border: 1px solid rgba(128, 128, 128, 0.22); border-radius: 0.6rem;
  padding: 0.7rem 0.9rem; margin: 0.45rem 0; background: rgba(128, 128, 128, 0.04);
}}
.aq-head {{ display: flex; align-items: baseline; gap: 0.5rem; font-weight: 600; line-height: 1.5; }}
.aq-num {{
  flex: none; display: inline-block; min-width: 1.35rem; height: 1.35rem; line-height: 1.35rem;
  border-radius: 0.7rem; text-align: center; font-size: 0.78rem; color: #fff; background: #3b7ddd;
}}
.aq-title {{ color: inherit; text-decoration: none; border-bottom: 1px solid rgba(59, 125, 221, 0.5); }}
a.aq-title:hover {{ color: #3b7ddd; }}
.aq-meta {{ font-size: 0.82rem; opacity: 0.65; margin: 0.15rem 0 0.35rem 1.85rem; }}
.aq-passage {{
  font-size: 0.93rem; line-height: 1.8; margin-left: 1.85rem; word-break: break-word; opacity: 0.92;
}}
.aq-quote {{
  background: rgba(59, 125, 221, 0.12); border-bottom: 2px solid rgba(59, 125, 221, 0.55);
  padding: 0.1rem 0;
}}
mark.aq-term {{
  background: rgba(255, 205, 41, 0.55); color: inherit; border-radius: 0.2rem; padding: 0 0.08rem;
}}
.aq-context {{
  font-family: var(--aq-font); font-size: 0.85rem; opacity: 0.7; margin: 0.1rem 0 0.3rem 0;
  padding-left: 0.5rem; border-left: 3px solid rgba(59, 125, 221, 0.45);
}}
.aq-article-meta {{ font-family: var(--aq-font); font-size: 0.88rem; opacity: 0.8; margin-bottom: 0.4rem; }}
.aq-article {{
  font-family: var(--aq-font); font-size: 0.95rem; line-height: 1.85; max-height: 62vh; overflow-y: auto;
  padding: 0.6rem 0.9rem; border: 1px solid rgba(128, 128, 128, 0.22); border-radius: 0.6rem;
  word-break: break-word;
}}
.aq-heading {{ display: inline-block; font-size: 1.02rem; margin-top: 0.3rem; }}
mark.aq-cited {{
  background: rgba(255, 205, 41, 0.6); color: inherit; border-radius: 0.2rem; padding: 0.05rem 0.1rem;
  box-shadow: 0 0 0 2px rgba(240, 160, 48, 0.55);
}}
.aq-stats {{ font-family: var(--aq-font); font-size: 0.78rem; opacity: 0.55; margin-top: 0.2rem; }}
@media (max-width: 640px) {{
  .block-container {{ padding-left: 0.8rem; padding-right: 0.8rem; padding-top: 3.5rem; }}
  .aq-meta, .aq-passage {{ margin-left: 0; }}
  .aq-source {{ padding: 0.6rem 0.7rem; }}
}}
</style>
"""
