package portal

import (
	"strings"
	"testing"
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
			name: "paragraphs join their lines; a blank line separates them",
			in:   "Workloads may talk\nto the tenant.\n\nAdd policies.",
			want: "<p>Workloads may talk to the tenant.</p>\n<p>Add policies.</p>\n",
		},
		{
			name: "lists, code spans and bold",
			in:   "- Quota: `kubectl describe resourcequota naas-quota`\n- **Pods** rejected\n  by Pod Security\n1. first",
			want: "<ul>\n<li>Quota: <code>kubectl describe resourcequota naas-quota</code></li>\n" +
				"<li><strong>Pods</strong> rejected by Pod Security</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>\n",
		},
		{
			name: "fenced code is kept verbatim and escaped",
			in:   "```\nkubectl get pods <name>\n```",
			want: "<pre><code>kubectl get pods &lt;name&gt;</code></pre>\n",
		},
		{
			name: "markup is escaped",
			in:   "<script>alert(1)</script> & <b>x</b>",
			want: "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;</p>\n",
		},
		{
			name: "links go to http(s) and this site only",
			in:   "[docs](https://example.com/a?b=1&c=2) [bad](javascript:alert) [here](/catalog#tiers)",
			want: "<p><a href=\"https://example.com/a?b=1&amp;c=2\">docs</a> bad <a href=\"/catalog#tiers\">here</a></p>\n",
		},
		{
			name: "an attribute cannot be broken out of",
			in:   `[x](https://e.com/"onmouseover="alert(1))`,
			want: "<p><a href=\"https://e.com/&#34;onmouseover=&#34;alert(1\">x</a>)</p>\n",
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

func TestRenderMarkdown_NeverEmitsScriptFromAnyInput(t *testing.T) {
	for _, in := range []string{
		"<img src=x onerror=alert(1)>", "[a](javascript:x)", "**<script>**", "`<script>`", "```\n<script>\n```",
		"# <script>", "- <script>", "[<script>](https://x)",
	} {
		if out := string(renderMarkdown(in)); strings.Contains(out, "<script") || strings.Contains(out, "<img") || strings.Contains(out, "javascript:") {
			t.Errorf("renderMarkdown(%q) = %q lets markup through", in, out)
		}
	}
}
