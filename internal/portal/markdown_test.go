package portal

import (
	"regexp"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

func TestRenderMarkdown_RendersRunbooksSafely(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "headings shift below the page's own and get anchors",
			in:   "## Standard namespace\n### Runbook",
			want: "<h3 id=\"doc-standard-namespace\">Standard namespace</h3>\n<h4 id=\"doc-runbook\">Runbook</h4>\n",
		},
		{
			name: "paragraphs keep their lines together; a blank line separates them",
			in:   "Workloads may talk\nto the tenant.\n\nAdd policies.",
			want: "<p>Workloads may talk\nto the tenant.</p>\n<p>Add policies.</p>\n",
		},
		{
			name: "lists, code spans and bold",
			in:   "- Quota: `kubectl describe resourcequota naas-quota`\n- **Pods** rejected\n  by Pod Security\n1. first",
			want: "<ul>\n<li>Quota: <code>kubectl describe resourcequota naas-quota</code></li>\n" +
				"<li><strong>Pods</strong> rejected\nby Pod Security</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>\n",
		},
		{
			name: "fenced code is kept verbatim and escaped",
			in:   "```sh\nkubectl get pods <name>\n```",
			want: "<pre><code class=\"language-sh\">kubectl get pods &lt;name&gt;\n</code></pre>\n",
		},
		{
			name: "markup is escaped",
			in:   "<script>alert(1)</script> & <b>x</b>",
			want: "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;</p>\n",
		},
		{
			name: "a placeholder outside code stays readable",
			in:   "run kubectl get pod <name> now",
			want: "<p>run kubectl get pod &lt;name&gt; now</p>\n",
		},
		{
			name: "links go to http(s) and this site only",
			in:   "[docs](https://example.com/a?b=1&c=2) [bad](javascript:alert) [here](/catalog#tiers) [away](//evil.example)",
			want: "<p><a href=\"https://example.com/a?b=1&amp;c=2\">docs</a> bad <a href=\"/catalog#tiers\">here</a> away</p>\n",
		},
		{
			name: "reference links and autolinks follow the same rule",
			in:   "[a][ok] [b][bad] <javascript:alert(1)> www.example.com\n\n[ok]: mailto:ops@example.com\n[bad]: javascript:alert(1)",
			want: "<p><a href=\"mailto:ops@example.com\">a</a> b javascript:alert(1) <a href=\"http://www.example.com\">www.example.com</a></p>\n",
		},
		{
			name: "images show their alt text only",
			in:   "![the logo](https://tracker.example/p.png) text",
			want: "<p>the logo text</p>\n",
		},
		{
			name: "headings with the same text get distinct ids",
			in:   "# Same\n## Same\nOther\n=====",
			want: "<h3 id=\"doc-same\">Same</h3>\n<h3 id=\"doc-same-2\">Same</h3>\n<h3 id=\"doc-other\">Other</h3>\n",
		},
		{
			name: "tables, strikethrough and task lists (GitHub Flavored Markdown)",
			in:   "| a | b |\n|:--|--:|\n| ~~1~~ | 2 |\n\n- [x] done",
			want: "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"right\">b</th>\n</tr>\n</thead>\n" +
				"<tbody>\n<tr>\n<td align=\"left\"><del>1</del></td>\n<td align=\"right\">2</td>\n</tr>\n</tbody>\n</table>\n" +
				"<ul>\n<li><input checked=\"\" disabled=\"\" type=\"checkbox\"> done</li>\n</ul>\n",
		},
		{
			name: "an attribute cannot be broken out of",
			in:   `[x](https://e.com/"onmouseover="alert(1))`,
			want: "<p><a href=\"https://e.com/%22onmouseover=%22alert(1)\">x</a></p>\n",
		},
		{
			name: "emphasis, and a lone backtick",
			in:   "an *important* note with a ` backtick",
			want: "<p>an <em>important</em> note with a ` backtick</p>\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(renderMarkdown(tt.in)); got != tt.want {
				t.Errorf("renderMarkdown(%q):\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// allowedHref is the link rule, written again apart from the code under test: http(s), mailto, an anchor or a
// path of this site (not "//host", which leaves it).
var allowedHref = regexp.MustCompile(`^(?i:https?://|mailto:|#|/([^/\\]|$))`)

// TestRenderMarkdown_HostileInputYieldsOnlyAllowedMarkup feeds the renderer what an attacker would write into a
// template's documentation and checks the parsed output: only the allowed elements, no event handler or style
// attribute, and every link to http(s), mailto or this site.
func TestRenderMarkdown_HostileInputYieldsOnlyAllowedMarkup(t *testing.T) {
	allowed := map[string]bool{
		"p": true, "br": true, "hr": true, "blockquote": true, "ul": true, "ol": true, "li": true, "pre": true,
		"code": true, "em": true, "strong": true, "del": true, "a": true, "table": true, "thead": true, "tbody": true,
		"tr": true, "th": true, "td": true, "h3": true, "h4": true, "h5": true, "h6": true, "input": true,
		// added by the HTML parser around a fragment
		"html": true, "head": true, "body": true,
	}
	for _, in := range []string{
		"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<iframe src=//evil>",
		"<style>body{display:none}</style>", "<a href=\"javascript:alert(1)\">x</a>", "x <b onclick=alert(1)>y</b>",
		"<div>\n<script>alert(1)</script>\n</div>", "<!-- <script>alert(1)</script> -->", "<?php x ?>",
		"[a](javascript:x)", "[a](JaVaScRiPt:x)", "[a](jav&#x61;script:x)", "[a](java\\script:x)",
		"[a](data:text/html;base64,PHNjcmlwdD4=)", "[a](vbscript:x)", "[a](//evil.example)", "[a](\\\\evil)",
		"[a](<javascript:x>)", "<javascript:alert(1)>", "[a][r]\n\n[r]: javascript:alert(1)",
		"![x](javascript:alert(1))", "![x](https://tracker.example/p.png)", "[![x](https://t.example/i.png)](https://ok.example)",
		"**<script>**", "`<script>`", "```\n<script>\n```", "```\"><script>alert(1)</script>\nx\n```",
		"# <script>", "# x {onclick=alert(1)}", "- <script>", "[<script>](https://x)", "| a |\n|---|\n| <script> |",
		"[x](https://e.com/\"onmouseover=\"alert(1))", "- [x] <input onfocus=alert(1) autofocus>",
	} {
		out := string(renderMarkdown(in))
		doc, err := xhtml.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatalf("renderMarkdown(%q) = %q does not parse: %v", in, out, err)
		}
		for n := range doc.Descendants() {
			if n.Type != xhtml.ElementNode {
				continue
			}
			if !allowed[n.Data] {
				t.Errorf("renderMarkdown(%q) = %q has a <%s> element", in, out, n.Data)
			}
			for _, a := range n.Attr {
				switch {
				case strings.HasPrefix(a.Key, "on") || a.Key == "style" || a.Key == "src":
					t.Errorf("renderMarkdown(%q) = %q has attribute %s on <%s>", in, out, a.Key, n.Data)
				case a.Key == "href" && !allowedHref.MatchString(a.Val):
					t.Errorf("renderMarkdown(%q) = %q links to %q", in, out, a.Val)
				case n.Data == "input" && a.Key == "type" && a.Val != "checkbox":
					t.Errorf("renderMarkdown(%q) = %q has an input of type %q", in, out, a.Val)
				}
			}
		}
	}
}
