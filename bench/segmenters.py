"""Measure sentence splitters on the project's tricky cases.

Usage: python bench/segmenters.py [-v]   (needs: pip install syntok, for the comparison)
Prints exact-case accuracy and boundary precision/recall/F1 per splitter.
"""
import json, re, sys
import pysbd
try:
    import syntok.segmenter as syn
except ImportError:  # the comparison needs it; the service does not
    syn = None
from pathlib import Path
cases=[json.loads(l) for l in open(Path(__file__).resolve().parents[1] / 'tests/code/segmentation_cases.jsonl')]
_pysbd=pysbd.Segmenter(language="en", clean=False, char_span=True)
def strip_span(text,s,e):
    while s<e and text[s].isspace(): s+=1
    while e>s and text[e-1].isspace(): e-=1
    return (s,e)
def by_lines(fn):
    def run(text):
        out=[]
        for m in re.finditer(r"[^\n]+", text):
            for s,e in fn(m.group(0)): out.append((m.start()+s, m.start()+e))
        return out
    return run
def p_sbd(text):
    return [strip_span(text,x.start,x.end) for x in _pysbd.segment(text) if x.sent.strip()]
def p_syn(text):
    out=[]
    for para in syn.analyze(text):
        for sent in para:
            s=sent[0].offset; e=sent[-1].offset+len(sent[-1].value); out.append((s,e))
    return out
splitters=[("pysbd",p_sbd),("pysbd+lines",by_lines(p_sbd))]
if syn is not None:
    splitters+=[("syntok",p_syn),("syntok+lines",by_lines(p_syn))]
else:
    print("syntok not installed: pip install syntok==1.4.4 to compare")
for name,fn in splitters:
    ok=0; tp=fp=fn_=0; bad=[]
    for c in cases:
        spans=[s for s in fn(c["text"]) if s[1]>s[0]]
        got=[c["text"][s:e] for s,e in spans]
        exp=c["sentences"]
        if got==exp: ok+=1
        else: bad.append((exp,got))
        ge={e for s,e in spans}; ee=set()
        pos=0
        for x in exp:
            i=c["text"].index(x,pos); ee.add(i+len(x)); pos=i+len(x)
        tp+=len(ge&ee); fp+=len(ge-ee); fn_+=len(ee-ge)
    p=tp/(tp+fp); r=tp/(tp+fn_)
    print(f"{name:14s} exact {ok}/{len(cases)}  boundary P {p:.3f} R {r:.3f} F1 {2*p*r/(p+r):.3f}")
    if '-v' in sys.argv:
        for b in bad: print("   ", b)
