/* The report's stylesheet, kept apart from the writer (report.c). Split in
 * pieces because C11 compilers need only accept 4095-character literals. */
#include <string.h>

#include "report/report_style.h"

/* System fonts only: nothing is fetched, and the charts' DejaVu Sans is what
 * most Linux machines give system-ui anyway. */
static const char *const page_css[] = {
    ":root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;"
    "--accent:#0b5cad}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\n"
    "body{margin:0;background:#fff;color:var(--fg);font:16px/1.6 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\",\"Helvetica Neue\",Arial,sans-serif}\n"
    ".page{max-width:1080px;margin:0 auto;padding:48px 40px 64px}\n"
    "a{color:var(--accent);text-decoration:none}\n"
    "a:hover{text-decoration:underline}\n"
    ".eyebrow{margin:0 0 6px;font-size:.8rem;font-weight:600;letter-spacing:.1em;"
    "text-transform:uppercase;color:var(--accent)}\n"
    "h1{font-size:2.15rem;line-height:1.2;margin:0 0 .5em;letter-spacing:-.015em}\n"
    "h2{font-size:1.5rem;line-height:1.3;margin:2.6em 0 .7em;padding-bottom:.35em;"
    "border-bottom:1px solid var(--line);letter-spacing:-.01em;display:flex;align-items:baseline;gap:.6em}\n"
    "h2 .sec-num{color:var(--muted);font-weight:600;font-variant-numeric:tabular-nums}\n"
    "h2 .up{margin-left:auto;font-size:.8rem;font-weight:400;letter-spacing:0;white-space:nowrap}\n"
    "h3{font-size:1.12rem;line-height:1.35;margin:1.9em 0 .5em}\n"
    "p{margin:.65em 0;max-width:78ch}\n"
    "strong{font-weight:650}\n"
    "code{font-family:ui-monospace,\"SFMono-Regular\",\"DejaVu Sans Mono\",Menlo,Consolas,monospace;"
    "font-size:.86em;background:var(--soft);border:1px solid #e3e7eb;border-radius:4px;padding:.08em .35em}\n"
    "pre{margin:1em 0;padding:12px 16px;background:var(--soft);border:1px solid var(--line);"
    "border-radius:6px;overflow-x:auto;font-size:.85rem;line-height:1.5}\n"
    "pre code{background:none;border:0;padding:0;font-size:inherit}\n"
    ".note{font-size:.875rem;color:var(--muted)}\n"
    ".question{font-size:1.08rem;margin:.4em 0 1em;color:#32383f}\n"
    ".q-label{display:inline-block;margin-right:.5em;font-size:.72rem;font-weight:700;letter-spacing:.08em;"
    "text-transform:uppercase;color:var(--accent);vertical-align:.12em}\n"
    ,
    /* verdicts: colour-coded, and each says its answer in words */
    ".verdict{margin:1.2em 0 1.4em;padding:12px 20px 12px 18px;border:1px solid;border-left-width:6px;"
    "border-radius:8px}\n"
    ".verdict p{margin:.35em 0;font-size:1.05rem}\n"
    ".verdict .v-label{display:flex;align-items:center;gap:.55em;margin:0 0 .2em;font-size:.78rem;"
    "font-weight:700;letter-spacing:.08em;text-transform:uppercase}\n"
    ".v-icon{display:inline-flex;align-items:center;justify-content:center;width:1.5em;height:1.5em;"
    "border-radius:50%;color:#fff;font-size:.95em;letter-spacing:0}\n"
    ".v-supported{border-color:#1a7f37;background:#effaf2}.v-supported .v-label{color:#1a7f37}"
    ".v-supported .v-icon{background:#1a7f37}\n"
    ".v-not-supported{border-color:#c4262e;background:#fff2f1}.v-not-supported .v-label{color:#b3222a}"
    ".v-not-supported .v-icon{background:#c4262e}\n"
    ".v-inconclusive{border-color:#b7791f;background:#fff8e6}.v-inconclusive .v-label{color:#8a5a00}"
    ".v-inconclusive .v-icon{background:#b7791f}\n"
    ".v-info{border-color:#2f6fbd;background:#f0f6fd}.v-info .v-label{color:#1f5aa3}"
    ".v-info .v-icon{background:#2f6fbd;font-family:Georgia,\"DejaVu Serif\",serif;font-style:italic}\n"
    ,
    /* contents: each study with its question and answer at a glance */
    ".toc{margin:28px 0 8px;padding:18px 26px 14px;border:1px solid var(--line);border-radius:10px;"
    "background:#fbfcfd}\n"
    ".toc h2{display:block;margin:0 0 6px;padding:0;border:0;font-size:.78rem;font-weight:700;"
    "letter-spacing:.1em;text-transform:uppercase;color:var(--muted)}\n"
    ".toc ol{list-style:none;margin:0;padding:0}\n"
    ".toc li{display:grid;grid-template-columns:2.2em 1fr auto;column-gap:.6em;padding:9px 0;"
    "border-top:1px solid #eaeef2}\n"
    ".toc li:first-child{border-top:0}\n"
    ".toc-num{grid-column:1;grid-row:1;color:var(--muted);font-weight:600;font-variant-numeric:tabular-nums}\n"
    ".toc a{grid-column:2;grid-row:1;font-weight:600}\n"
    ".toc .pill{grid-column:3;grid-row:1}\n"
    ".toc-q{grid-column:2/4;grid-row:2;font-size:.9rem;color:var(--muted)}\n"
    ".pill{align-self:center;white-space:nowrap;font-size:.74rem;font-weight:700;padding:.15em .75em;"
    "border-radius:999px;border:1px solid}\n"
    ".pill.v-supported{color:#1a7f37}.pill.v-not-supported{color:#b3222a}"
    ".pill.v-inconclusive{color:#8a5a00}.pill.v-info{color:#1f5aa3}\n"
    ,
    /* figures and tables */
    "figure{margin:1.6em 0}\n"
    ".fig .svg{padding:10px;border:1px solid var(--line);border-radius:10px;background:#fff}\n"
    ".fig svg{display:block;max-width:100%;height:auto;margin:0 auto}\n"
    "figcaption,caption{font-size:.9rem;color:var(--muted);max-width:86ch}\n"
    "figcaption{margin-top:10px}\n"
    ".fig-num{font-weight:700;color:var(--fg)}\n"
    ".table-wrap{margin:1.6em 0;overflow-x:auto}\n"
    "table{border-collapse:collapse;font-size:.93rem}\n"
    "caption{caption-side:top;text-align:left;padding:0 0 10px}\n"
    "th,td{padding:7px 16px 7px 12px;text-align:left;vertical-align:top;border-bottom:1px solid #e4e8ec}\n"
    "thead th{vertical-align:bottom;border-bottom:2px solid #8c959f;font-size:.84rem;font-weight:650;"
    "color:#32383f}\n"
    "tbody tr:nth-child(even){background:#f8fafb}\n"
    "tbody tr:hover{background:#eef4fb}\n"
    "th.n,td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "td.best{font-weight:700}\n"
    "td.muted{color:#8c959f}\n"
    "td.bad{color:#b3222a}\n"
    ".foot{margin-top:64px;padding-top:14px;border-top:1px solid var(--line);font-size:.8rem;"
    "color:var(--muted)}\n"
    "@media (max-width:700px){.page{padding:28px 16px 48px}h1{font-size:1.7rem}"
    ".toc{padding:14px 16px}}\n"
    "@media print{body{font-size:10.5pt}.page{max-width:none;padding:0}"
    "a{color:inherit}h2 .up{display:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "h2,h3,.question{break-after:avoid}figure,.verdict,tr,pre,.toc li{break-inside:avoid}"
    "tbody tr:hover{background:none}.fig .svg{border:0;padding:0}}\n"};

void al_report_put_css(al_buf *out)
{
    for (size_t i = 0; i < sizeof page_css / sizeof page_css[0]; i++)
        al_buf_append(out, page_css[i], strlen(page_css[i]));
}
