#include "web_page.hpp"

namespace ticketd::api {

const char* const kWebPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ticketd</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f2933;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header a{color:#cbd2d9;text-decoration:none;cursor:pointer}header a.on{color:#fff;font-weight:600}
main{padding:16px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
tr.row:hover{background:#eef2f7;cursor:pointer}.P1{color:#b00020;font-weight:700}.P2{color:#d35400;font-weight:600}
input,select,button{font:inherit;padding:4px 6px}form{display:flex;gap:8px;margin-bottom:12px;flex-wrap:wrap}
.err{color:#b00020;margin:8px 0}.muted{color:#616e7c}.card{background:#fff;padding:12px;margin-bottom:12px;border:1px solid #e4e7eb}
</style></head><body>
<header><strong>ticketd</strong>
<a data-view="queue" class="on">Queue</a><a data-view="silences">Silences</a><a data-view="rules">Rules</a><a data-view="stats">Trends</a>
<span style="flex:1"></span><input id="token" type="password" placeholder="API token (if required)" size="24"></header>
<main><div id="error" class="err"></div><div id="view"></div></main>
<script>
const $=s=>document.querySelector(s);
const esc=v=>String(v??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
$('#token').value=localStorage.getItem('ticketd-token')||'';
$('#token').onchange=e=>{localStorage.setItem('ticketd-token',e.target.value);show(current)};
async function api(method,path,body){
  const h={'Accept':'application/json'};const t=$('#token').value;if(t)h['Authorization']='Bearer '+t;
  if(body!==undefined)h['Content-Type']='application/json';
  const r=await fetch(path,{method,headers:h,body:body===undefined?undefined:JSON.stringify(body)});
  const j=await r.json().catch(()=>({}));
  if(!r.ok)throw new Error((j.error&&j.error.message)||('HTTP '+r.status));return j;}
let current='queue';
async function show(view,arg){
  current=view;$('#error').textContent='';
  document.querySelectorAll('header a').forEach(a=>a.classList.toggle('on',a.dataset.view===view));
  try{await views[view](arg)}catch(e){$('#error').textContent=e.message}}
document.querySelectorAll('header a').forEach(a=>a.onclick=()=>show(a.dataset.view));
const views={
 async queue(){
  const f=JSON.parse(sessionStorage.getItem('filters')||'{}');
  const q=new URLSearchParams(Object.entries(f).filter(([k,v])=>v));
  const j=await api('GET','/api/v1/tickets?'+q);
  $('#view').innerHTML=`<form id="filters">
   <select name="status"><option value="">any status</option>${['new','assigned','in_progress','pending','resolved','closed','cancelled'].map(s=>`<option ${f.status===s?'selected':''}>${s}</option>`).join('')}</select>
   <select name="priority"><option value="">any priority</option>${['P1','P2','P3','P4','P5'].map(s=>`<option ${f.priority===s?'selected':''}>${s}</option>`).join('')}</select>
   <select name="type"><option value="">any type</option>${['incident','service_request','problem','change'].map(s=>`<option ${f.type===s?'selected':''}>${s}</option>`).join('')}</select>
   <input name="team" placeholder="team" value="${esc(f.team)}"><input name="q" placeholder="search" value="${esc(f.q)}"><button>Filter</button></form>
   <table><tr><th>Key</th><th>Priority</th><th>Status</th><th>Team</th><th>Events</th><th>Last seen</th><th>Title</th></tr>
   ${j.tickets.map(t=>`<tr class="row" data-key="${esc(t.key)}"><td>${esc(t.key)}</td><td class="${esc(t.priority)}">${esc(t.priority)}</td><td>${esc(t.status)}${t.flapping?' (flapping)':''}</td><td>${esc(t.team)}</td><td>${t.event_count}</td><td>${esc((t.last_seen||'').replace('T',' ').slice(0,19))}</td><td>${esc(t.title)}</td></tr>`).join('')}</table>`;
  $('#filters').onsubmit=e=>{e.preventDefault();sessionStorage.setItem('filters',JSON.stringify(Object.fromEntries(new FormData(e.target))));show('queue')};
  document.querySelectorAll('tr.row').forEach(r=>r.onclick=()=>show('ticket',r.dataset.key));},
 async ticket(key){
  const [t,tl,sim]=await Promise.all([api('GET','/api/v1/tickets/'+key),api('GET','/api/v1/tickets/'+key+'/timeline'),api('GET','/api/v1/tickets/'+key+'/similar')]);
  const fields=['type','status','priority','impact','urgency','category','team','assignee','rule','fingerprint','event_count','first_seen','last_seen','acknowledged_at','resolved_at','problem'];
  $('#view').innerHTML=`<p><a href="#" id="back">&larr; queue</a></p><div class="card"><h2>${esc(t.key)} ${esc(t.title)}</h2>
   <p>${esc(t.description)}</p><table>${fields.filter(k=>t[k]!==null&&t[k]!=='').map(k=>`<tr><th>${k}</th><td>${esc(t[k])}</td></tr>`).join('')}
   <tr><th>sla</th><td>respond by ${esc(t.sla.respond_by)}, resolve by ${esc(t.sla.resolve_by)}${t.sla.breached?' <b class="P1">breached</b>':''}</td></tr>
   <tr><th>alerts</th><td>${t.alerts.map(a=>esc(a.fingerprint)+' ('+esc(a.status)+')').join('<br>')}</td></tr>
   ${t.resolution?`<tr><th>resolution</th><td>${esc(t.resolution.code)}${t.resolution.note?': '+esc(t.resolution.note):''}</td></tr>`:''}
   ${(t.external||[]).length?`<tr><th>external</th><td>${t.external.map(x=>esc(x.backend)+': '+(/^https?:\/\//.test(x.url||'')?`<a href="${esc(x.url)}" rel="noopener noreferrer" target="_blank">${esc(x.key)}</a>`:esc(x.key))).join('<br>')}</td></tr>`:''}</table>
   <form id="act"><button data-a="ack">Acknowledge</button><input name="assignee" placeholder="assignee"><button data-a="assign">Assign</button>
   <select name="status">${['in_progress','pending','resolved','closed','cancelled'].map(s=>`<option>${s}</option>`).join('')}</select><select name="code" title="resolution code (with resolved, closed, cancelled)">${['','fixed','workaround','no_fault_found','duplicate','known_error','change_rolled_back','user_error'].map(c=>`<option value="${c}">${c||'resolution code'}</option>`).join('')}</select><button data-a="status">Set status</button>
   <input name="note" placeholder="note (the resolution note when resolving)" size="40"><label><input type="checkbox" name="public" value="1">public</label><button data-a="note">Add note</button></form></div>
   <div class="card"><h3>Timeline</h3><table>${tl.timeline.map(e=>`<tr><td class="muted">${esc(e.time.replace('T',' ').slice(0,19))}</td><td>${esc(e.actor)}</td><td>${esc(e.kind)}${e.visibility?' ('+esc(e.visibility)+')':''}</td><td>${e.kind==='suggestion'?'<b>'+esc(e.message)+'</b>':esc(e.message)}</td></tr>`).join('')}</table></div>
   <div class="card"><h3>Similar resolved tickets</h3>${sim.similar.length?sim.similar.map(s=>`<p><b>${esc(s.key)}</b> ${esc(s.title)}<br>${s.resolution?'<b>fix</b> ('+esc(s.resolution.code)+'): '+esc(s.resolution.note)+'<br>':''}${s.notes.map(n=>'&bull; '+esc(n.text)).join('<br>')}</p>`).join(''):'<p class="muted">none</p>'}</div>`;
  $('#back').onclick=e=>{e.preventDefault();show('queue')};
  document.querySelectorAll('#act button').forEach(b=>b.onclick=async e=>{e.preventDefault();const f=Object.fromEntries(new FormData($('#act')));
   try{const a=b.dataset.a;
    if(a==='ack')await api('POST','/api/v1/tickets/'+key+'/ack',{});
    if(a==='assign')await api('PATCH','/api/v1/tickets/'+key,{assignee:f.assignee});
    if(a==='status'){const body={status:f.status};
     if(['resolved','closed','cancelled'].includes(f.status)&&(f.code||f.note))body.resolution={code:f.code,note:f.note};
     else if(f.note)await api('POST','/api/v1/tickets/'+key+'/notes',{text:f.note});
     await api('PATCH','/api/v1/tickets/'+key,body);}
    if(a==='note')await api('POST','/api/v1/tickets/'+key+'/notes',{text:f.note,visibility:f.public?'public':'internal'});
    show('ticket',key)}catch(err){$('#error').textContent=err.message}});},
 async silences(){
  const j=await api('GET','/api/v1/silences');
  $('#view').innerHTML=`<form id="sil"><input name="matchers" size="40" placeholder="host=db01 labels.env=~prod"><input name="duration" value="2h" size="5"><input name="comment" placeholder="comment"><button>Add silence</button></form>
   <table><tr><th>ID</th><th>State</th><th>Matchers</th><th>Ends</th><th>By</th><th>Silenced</th><th>Comment</th><th></th></tr>
   ${j.silences.map(s=>`<tr><td>${esc(s.id)}</td><td>${esc(s.state)}</td><td>${Object.entries(s.matchers).map(([k,v])=>esc(k+'='+v)).join(' ')}</td><td>${esc(s.ends_at)}</td><td>${esc(s.created_by)}</td><td>${s.silenced_count}</td><td>${esc(s.comment)}</td><td>${s.state!=='expired'?`<button data-id="${esc(s.id)}">Expire</button>`:''}</td></tr>`).join('')}</table>`;
  $('#sil').onsubmit=async e=>{e.preventDefault();const f=Object.fromEntries(new FormData(e.target));const m={};
   f.matchers.split(/\s+/).filter(x=>x).forEach(x=>{const i=x.indexOf('=');m[x.slice(0,i)]=x.slice(i+1)});
   try{await api('POST','/api/v1/silences',{matchers:m,duration:f.duration,comment:f.comment});show('silences')}catch(err){$('#error').textContent=err.message}};
  document.querySelectorAll('button[data-id]').forEach(b=>b.onclick=async()=>{await api('DELETE','/api/v1/silences/'+b.dataset.id);show('silences')});},
 async rules(){
  const j=await api('GET','/api/v1/rules');
  $('#view').innerHTML=`<table><tr><th>Rule</th><th>Action</th><th>Hits</th><th>Open tickets</th><th>Defined at</th><th>Description</th></tr>
   ${j.rules.map(r=>`<tr><td>${esc(r.name)}</td><td>${esc(r.action)}</td><td>${r.hits}</td><td>${r.open_tickets}</td><td class="muted">${esc(r.file)}:${r.line}</td><td>${esc(r.description)}</td></tr>`).join('')}</table>`;},
 async stats(){
  const s=await api('GET','/api/v1/stats');
  const kv=o=>Object.entries(o||{}).map(([k,v])=>`<tr><td>${esc(k)}</td><td>${v}</td></tr>`).join('');
  $('#view').innerHTML=`<div class="card">Tickets: ${s.tickets_total}, open: ${s.open_total}, MTTA: ${s.mtta_seconds??'-'} s, MTTR: ${s.mttr_seconds??'-'} s</div>
   <div class="card"><h3>Open by priority</h3><table>${kv(s.open_by_priority)}</table><h3>Open by team</h3><table>${kv(s.open_by_team)}</table></div>
   <div class="card"><h3>Top recurring fingerprints</h3><table><tr><th>Fingerprint</th><th>Rule</th><th>Tickets</th><th>Events</th></tr>${s.top_fingerprints.map(f=>`<tr><td>${esc(f.fingerprint)}</td><td>${esc(f.rule)}</td><td>${f.tickets}</td><td>${f.events}</td></tr>`).join('')}</table></div>`;}
};
show('queue');
</script></body></html>
)HTML";

}  // namespace ticketd::api
